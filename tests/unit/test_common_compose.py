"""Which Compose the host-side tools run (stormlab_common/compose.py)."""

import pytest

from stormlab_common import compose


@pytest.fixture(autouse=True)
def fresh():
    compose.compose_command.cache_clear()
    yield
    compose.compose_command.cache_clear()


def test_the_compose_variable_wins(monkeypatch):
    monkeypatch.setenv("COMPOSE", "docker compose --ansi never")
    assert compose.compose_command() == ["docker", "compose", "--ansi", "never"]


def test_v1_when_v2_is_missing(monkeypatch, tmp_path):
    (tmp_path / "docker-compose").write_text("#!/bin/sh\n")
    (tmp_path / "docker-compose").chmod(0o755)
    monkeypatch.delenv("COMPOSE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `docker` binary at all
    assert compose.compose_command() == ["docker-compose"]


def test_neither_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("COMPOSE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(compose.ComposeMissing, match=r"neither 'docker compose' .* nor 'docker-compose'"):
        compose.compose_command()


def test_your_own_compose_files_come_after_the_base_file_each_once():
    env = {"STORMLAB_COMPOSE_FILES": "own.yml::more.yml:own.yml", "PATH": "/bin"}
    assert compose.compose_environment(env) == {**env, "COMPOSE_FILE": "docker-compose.yml:own.yml:more.yml"}


def test_your_own_compose_files_come_after_the_kernel_devices_and_a_compose_file_given():
    kernel = {"STORMLAB_DEVICE": "kernel", "STORMLAB_COMPOSE_FILES": "own.yml"}
    assert compose.compose_environment(kernel)["COMPOSE_FILE"] == \
        "docker-compose.yml:docker-compose.kernel.yml:own.yml"
    given = {"COMPOSE_FILE": "docker-compose.yml:own.yml", "STORMLAB_COMPOSE_FILES": "own.yml"}
    assert compose.compose_environment(given)["COMPOSE_FILE"] == "docker-compose.yml:own.yml"  # not twice


def test_without_your_own_compose_files_nothing_is_set():
    assert compose.compose_environment({"STORMLAB_COMPOSE_FILES": ""}) == {"STORMLAB_COMPOSE_FILES": ""}
    assert "COMPOSE_FILE" not in compose.compose_environment({})
