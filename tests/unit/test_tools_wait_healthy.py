"""tools/wait-healthy.sh, the end of ``make up``, against a stand-in for Docker and Compose: it
says in one line how many containers are healthy, which (by compose service), and how long
after the start ``up`` gave it, so "stack up" and "healthy after" are one figure."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# containers by id: (compose service, "status health")
FAKE_DOCKER = r'''#!/usr/bin/env bash
# docker inspect -f FORMAT ID...: the state or the compose service of each, from $FAKE_STATE
[ "$1" = inspect ] || exit 0
format=$3; shift 3
for id in "$@"; do
    line=$(grep "^$id " "$FAKE_STATE")
    case "$format" in
        *com.docker.compose.service*) echo "$line" | cut -d' ' -f2 ;;
        *State.Status*Health.Status*) echo "$line" | cut -d' ' -f3- ;;
        *) echo "  /$id: $(echo "$line" | cut -d' ' -f3-)" ;;
    esac
done
'''
FAKE_COMPOSE = '#!/usr/bin/env bash\n[ "$1" = ps ] && cut -d" " -f1 "$FAKE_STATE"\n'


def wait_healthy(tmp_path: Path, containers: list[tuple[str, str, str]], *args: str):
    state = tmp_path / "state"
    state.write_text("".join(f"{id_} {service} {status}\n" for id_, service, status in containers))
    for name, text in (("docker", FAKE_DOCKER), ("compose", FAKE_COMPOSE)):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "COMPOSE": str(tmp_path / "compose"),
           "COMPOSE_PROJECT_NAME": "t", "FAKE_STATE": str(state)}
    return subprocess.run(["bash", str(ROOT / "tools/wait-healthy.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=30)


def test_healthy_is_one_line_counting_containers_by_service_from_the_start_up_gave(tmp_path):
    containers = [("a1", "api", "running healthy"), ("k1", "kv", "running healthy"),
                  ("k2", "kv", "running healthy"), ("p1", "pushgateway", "running none")]
    done = wait_healthy(tmp_path, containers, "10", str(int(time.time()) - 12))
    assert done.returncode == 0, done.stderr
    said = re.fullmatch(r"\S*stormlab:\S* stack up: all 4 containers healthy (\d+) s after the start "
                        r"\(api, kv x2, pushgateway; project t\)\n", done.stderr)
    assert said, done.stderr
    assert 12 <= int(said.group(1)) <= 14  # 12 s before, and at most 2 s of a busy machine's scheduling


def test_a_container_that_exited_fails_at_once_naming_it(tmp_path):
    started = time.monotonic()
    done = wait_healthy(tmp_path, [("a1", "api", "running healthy"), ("k1", "kv", "exited 1")], "60")
    assert done.returncode == 1 and "containers failed:" in done.stderr and "/k1: exited 1" in done.stderr
    assert time.monotonic() - started < 10  # not after the 60 s timeout
