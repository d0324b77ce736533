"""The command line: a scenario named wrongly is refused before anything starts, with the
scenarios there are; a scenario's name or its file name alone finds it in experiments/."""

from pathlib import Path

import pytest

from experiments.__main__ import main
from experiments.scenario_names import scenario_names, scenario_path

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


@pytest.mark.parametrize("argv", [["run", "retry-strom"], ["demo", "--scenario", "retry-strom"],
                                  ["matrix", "baseline", "retry-strom"], ["validate", "retry-strom"]])
def test_an_unknown_scenario_is_refused_listing_the_scenarios_there_are(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    names = sorted(path.stem for path in EXPERIMENTS.glob("*.yaml"))
    assert len(names) >= 13 and scenario_names() == names
    assert err == ("experiments: invalid scenario name:\n  retry-strom: no such scenario; expected a scenario "
                   f"file or the name of one in experiments/: {', '.join(names)}\n")


def test_a_missing_file_is_said_to_be_one(tmp_path, capsys):
    missing = tmp_path / "mine.yaml"
    assert main(["run", str(missing)]) == 2
    assert f"{missing}: no such file; expected a scenario file or the name of one" in capsys.readouterr().err


def test_a_name_or_its_file_name_alone_finds_the_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where no scenario file is
    assert scenario_path("retry-storm") == scenario_path("retry-storm.yaml") == EXPERIMENTS / "retry-storm.yaml"
    (tmp_path / "retry-storm.yaml").write_text("name: mine\n")
    assert scenario_path("retry-storm.yaml") == Path("retry-storm.yaml")  # a file that is there comes first


def test_reset_is_a_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["reset", "--help"])
    assert done.value.code == 0
    assert "--project" in capsys.readouterr().out
