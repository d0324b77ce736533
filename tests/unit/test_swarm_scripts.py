"""swarm/up.sh and swarm/down.sh refuse what they must, before touching anything: run against
a stand-in ``docker`` on PATH that answers ``docker info`` as a worker node of another swarm
would (a second Engine to make this one a real worker node is more than a unit test has)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_DOCKER = """#!/usr/bin/env bash
# answers as the Engine of a worker node of another swarm; records every other call
case "$*" in
  *"{{{{.Swarm.LocalNodeState}}}}"*) echo "{state}" ;;
  *RemoteManagers*) echo "10.1.2.3:2377 " ;;
  *) echo "$*" >> "{calls}"; exit 0 ;;
esac
"""


def run_script(tmp_path: Path, script: str, state: str, **env: str) -> subprocess.CompletedProcess:
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(FAKE_DOCKER.format(state=state, calls=calls))
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "COMPOSE": "true", **env}
    return subprocess.run([str(ROOT / script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


def test_swarm_up_refuses_on_a_worker_node_of_another_swarm(tmp_path):
    done = run_script(tmp_path, "swarm/up.sh", "active false node-1")
    assert done.returncode != 0
    assert "worker node of another swarm (managers: 10.1.2.3:2377" in done.stderr
    assert "run make swarm-up on one of those, or leave that swarm first" in done.stderr
    assert not (tmp_path / "calls").exists()  # refused before any other docker call


@pytest.mark.parametrize("state", ["pending false x", "locked false x", "error false x"])
def test_swarm_up_refuses_a_swarm_in_another_state(tmp_path, state):
    done = run_script(tmp_path, "swarm/up.sh", state)
    assert done.returncode != 0 and f"swarm is '{state.split()[0]}'" in done.stderr


def test_swarm_down_refuses_on_a_worker_node(tmp_path):
    done = run_script(tmp_path, "swarm/down.sh", "active false")
    assert done.returncode != 0 and "remove the stack from a manager" in done.stderr


def test_swarm_down_with_no_swarm_has_nothing_to_do(tmp_path):
    done = run_script(tmp_path, "swarm/down.sh", "inactive false")
    assert done.returncode == 0 and "nothing to remove" in done.stderr


def test_swarm_up_refuses_the_kernel_device_saying_where_it_runs(tmp_path):
    done = run_script(tmp_path, "swarm/up.sh", "inactive false x", STORMLAB_DEVICE="kernel")
    assert done.returncode != 0 and "kernel device is not supported on Swarm" in done.stderr
    assert "make up DEVICE=kernel" in done.stderr
    assert not (tmp_path / "calls").exists()  # no swarm initialised
