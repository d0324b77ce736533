"""``python -m model``: its last line, and its exit status on bad input."""

import subprocess
import sys

import pytest

from model.__main__ import main
from tests.unit.model_scenarios import EXPERIMENTS, ROOT


def test_predict_ends_with_the_verdict_line(capsys):
    assert main(["predict", str(EXPERIMENTS / "retry-storm.yaml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "verdict: metastable"
    assert any(line.startswith("baseline goodput:") for line in out)
    assert any("attempts/request" in line and line.startswith("after the trigger") for line in out)


def test_predict_at_a_time_scale(capsys):
    assert main(["predict", str(EXPERIMENTS / "retry-budget.yaml"), "--time-scale", "0.5"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "verdict: recovered"


def test_predict_on_a_hysteresis_file_walks_its_staircase_and_judges_the_loop(capsys):
    assert main(["predict", str(EXPERIMENTS / "hysteresis/fixed.yaml"), "--time-scale", "0.5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "verdict: metastable"
    levels = [line for line in out if line.startswith(("  up", "  down"))]
    assert len(levels) == 13 + 12  # up from 0.1 to 1.3 in steps of 0.1, and back down
    collapse, recovery = (float(line.split()[1]) for line in out if line.startswith(("collapse_load", "recovery_load")))
    assert 0.8 <= collapse <= 1.35 and recovery <= 0.5  # three attempts each: it lets go far lower


@pytest.mark.parametrize("args", [["predict", "no/such/file.yaml"],
                                  ["predict", str(ROOT / "tests/scenarios/invalid/several-mistakes.yaml")],
                                  ["predict", str(EXPERIMENTS / "retry-storm.yaml"), "--time-scale", "0"],
                                  ["loop", "--policy", "warp-drive"],
                                  ["loop", "--policy", "fixed", "--set", "max_attempts=0"]])
def test_bad_input_is_one_line_on_stderr_and_status_2(capsys, args):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and captured.err.startswith("model: ")


def test_as_a_module():
    done = subprocess.run([sys.executable, "-m", "model", "predict", "experiments/baseline.yaml"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "verdict: stable"
