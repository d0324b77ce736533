"""tools/up.sh starts one load-generator worker per core unless told how many, and refuses a
count that is not one before anything starts: run with stand-ins for ``docker`` and Compose
that record what they are asked (the real stack is the integration tests')."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# No swarm, no image anywhere; every other call recorded.
FAKE_DOCKER = """#!/usr/bin/env bash
case "$*" in
  *ControlAvailable*) echo false ;;
  "image inspect"*) exit 1 ;;
  *) echo "docker $*" >> "{calls}" ;;
esac
"""
# Compose: lists the services; `up` is recorded, and then fails, so the script stops before it
# waits for health (what it asked is all this test needs).
FAKE_COMPOSE = """#!/usr/bin/env bash
case "$1" in
  config) printf 'proxy\\nloadgen\\nloadgen-worker\\n' ;;
  *) echo "compose $*" >> "{calls}"; exit 3 ;;
esac
"""


def up(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    for name, text in (("docker", FAKE_DOCKER), ("fake-compose", FAKE_COMPOSE)):
        (bin_dir / name).write_text(text.format(calls=calls))
        (bin_dir / name).chmod(0o755)
    env = {**{k: v for k, v in os.environ.items() if k != "STORMLAB_LOADGEN_WORKERS"},
           "PATH": f"{bin_dir}:{os.environ['PATH']}", "COMPOSE": "fake-compose", **env}
    done = subprocess.run([str(ROOT / "tools/up.sh")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=30)
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_one_worker_per_core_by_default(tmp_path):
    done, calls = up(tmp_path)
    assert done.returncode == 3  # the stand-in's `up` failing stops the script
    assert calls == [f"compose up -d --remove-orphans --scale loadgen-worker={len(os.sched_getaffinity(0))} "  # nproc
                     "proxy loadgen loadgen-worker"]


def test_the_count_asked_for(tmp_path):
    _, calls = up(tmp_path, STORMLAB_LOADGEN_WORKERS="3")
    assert calls[0].startswith("compose up -d --remove-orphans --scale loadgen-worker=3 ")


@pytest.mark.parametrize("count", ["0", "two", "-1", "1.5", "04"])
def test_a_count_that_is_not_one_is_refused_before_anything_starts(tmp_path, count):
    done, calls = up(tmp_path, STORMLAB_LOADGEN_WORKERS=count)
    assert done.returncode == 1
    assert f"STORMLAB_LOADGEN_WORKERS must be a whole number of workers, at least 1 (got '{count}')" in done.stderr
    assert calls == []
