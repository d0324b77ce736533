"""The corpus of bad scenarios (tests/scenarios/invalid/): each is refused offline with exactly
the problems its ``# expect:`` lines name (each line the start of one problem, path first),
and the runner refuses one before it could touch Docker or any component."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.validation import checked_scenario
from stormlab_common.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/scenarios/invalid"
FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (.+)$", re.M)


def expected(path: Path) -> list[str]:
    return EXPECT.findall(path.read_text())


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        checked_scenario(path)
    assert str(refused.value).startswith(f"invalid scenario {path}:")
    return refused.value.problems


def test_the_corpus_has_a_file_for_each_kind_of_mistake_each_saying_what_it_must_produce():
    assert len(FILES) >= 30
    assert all(expected(path) for path in FILES), [p.name for p in FILES if not expected(p)]


def test_the_scenario_they_extend_is_valid():
    assert checked_scenario(ROOT / "tests/scenarios/base.yaml").name == "base"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_bad_scenario_is_refused_with_exactly_the_problems_it_names(path):
    found = problems(path)
    missing = [line for line in expected(path) if not any(p.startswith(line) for p in found)]
    unexpected = [p for p in found if not any(p.startswith(line) for line in expected(path))]
    assert (missing, unexpected) == ([], []), found
    assert len(found) == len(set(found))  # each problem once


def _without_docker(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment where any use of Docker leaves a mark (and fails): a Docker daemon that
    is not there, and docker / docker-compose commands that record being run."""
    marks = tmp_path / "docker-was-run"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("docker", "docker-compose"):
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\necho {name} \"$@\" >> {marks}\nexit 1\n")
        tool.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "COMPOSE"}
    env.update(DOCKER_HOST="unix:///nonexistent", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    return env, marks


@pytest.mark.parametrize("command", [
    ["run", "several-mistakes.yaml"],
    ["demo", "--once", "--scenario", "several-mistakes.yaml"],
    ["matrix", "several-mistakes.yaml", "unknown-policy.yaml", "device-wrong-type.yaml"],
], ids=lambda command: command[0])
def test_the_runner_refuses_a_bad_file_before_anything_starts(tmp_path, command):
    env, marks = _without_docker(tmp_path)
    files = [arg for arg in command if arg.endswith(".yaml")]
    args = [str(CORPUS / arg) if arg in files else arg for arg in command]
    done = subprocess.run([sys.executable, "-m", "experiments", *args, "--results", str(tmp_path / "results")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    for name in files:  # every problem of every file, on stderr
        assert f"invalid scenario {CORPUS / name}:" in done.stderr
        for line in expected(CORPUS / name):
            assert f"\n  {line}" in done.stderr, line
    assert "expecting" not in done.stdout  # no run began
    assert not marks.exists(), marks.read_text()  # nor did anything call Docker
    assert not (tmp_path / "results").exists()


def test_validate_prints_every_problem_of_every_file_and_runs_nothing(tmp_path):
    env, marks = _without_docker(tmp_path)
    good, bad = ROOT / "experiments/retry-storm.yaml", CORPUS / "two-bad-client-values.yaml"
    done = subprocess.run([sys.executable, "-m", "experiments", "validate", str(good), str(bad)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == f"ok: {good}\n"
    assert done.stderr.splitlines()[1:] == [f"  {line}" for line in expected(bad)]
    assert not marks.exists()
