"""The API check (python -m services.api_check) starts a replica of each role from its own
config file and runs schemathesis with the committed settings; its real runs are reported
in docs/services.md (they take minutes, not unit-test seconds)."""

import tomllib

import pytest

from services import api_check
from services.config import ROLES, config_from
from stormlab_common.config import read_yaml_file


def test_each_role_is_checked_from_its_own_config_file():
    assert set(api_check.CONFIGS) == set(ROLES)
    for role, file in api_check.CONFIGS.items():
        assert config_from(read_yaml_file(api_check.ROOT / "services" / file)).role == role


def test_schemathesis_runs_with_the_committed_settings():
    command = api_check.schemathesis_command("http://127.0.0.1:1", ["--include-path", "/x"], 7, 20)
    assert command[1:3] == ["--config-file", str(api_check.SETTINGS)]
    assert command[3:] == ["run", "http://127.0.0.1:1/openapi.json", "--include-path", "/x",
                           "--seed", "7", "--max-examples", "20"]
    # the live change apart from the rest, each operation in one of the runs
    assert api_check.RUNS == (["--exclude-operation-id", "admin_config_change"],
                              ["--include-path", "/admin/config"])
    settings = tomllib.loads(api_check.SETTINGS.read_text())
    assert settings["seed"] == 1 and settings["generation"]["max-examples"] > 0
    assert all(settings["phases"][phase]["enabled"] for phase in ("examples", "coverage", "fuzzing", "stateful"))


def test_unknown_roles_are_refused_before_anything_starts(capsys):
    with pytest.raises(SystemExit) as caught:
        api_check.main(["--roles", "kv,db"])
    assert caught.value.code == 2
    assert "unknown roles ['db']" in capsys.readouterr().err
