"""The stack as a Swarm stack (swarm/), deployed once per module under a throwaway name with
Docker-chosen ports, and always removed: by the last test, which checks that nothing is left,
or by the finalizer when a test failed first. Needs Docker and the built images (make images).

The swarm itself: a single-node swarm swarm/up.sh initialises when the Engine is in none (and
swarm/down.sh leaves), or the swarm this Engine already manages.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import docker
import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED_PORT_VARIABLES = ["STORMLAB_PROXY_ADMIN_PORT", "STORMLAB_LOCUST_PORT",
                            "STORMLAB_PROMETHEUS_PORT", "STORMLAB_GRAFANA_PORT", "STORMLAB_PUSHGATEWAY_PORT"]
STACK_LABEL = "com.docker.stack.namespace"


class SwarmStack:
    def __init__(self, name: str):
        self.name = name
        # Empty port variables: Docker picks free ports (host mode), as the Compose tests do.
        self.env = {**os.environ, "COMPOSE_PROJECT_NAME": name, **dict.fromkeys(PUBLISHED_PORT_VARIABLES, "")}
        self.docker = docker.from_env()
        self.swarm_before = self.swarm_state()
        self.networks_before = self.network_names()

    def network_names(self) -> set[str]:
        return {network.name for network in self.docker.networks.list()}

    def swarm_state(self) -> str:
        return self.docker.info()["Swarm"]["LocalNodeState"]

    def script(self, path: str, timeout: float = 400) -> subprocess.CompletedProcess:
        return subprocess.run([str(ROOT / path)], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def container(self, service: str):
        (found,) = self.docker.containers.list(filters={"label": [
            f"{STACK_LABEL}={self.name}", f"com.docker.swarm.service.name={self.name}_{service}"]})
        return found

    def run_python(self, service: str, code: str):
        exit_code, output = self.container(service).exec_run(["python3", "-c", code])
        assert exit_code == 0, output.decode()
        return json.loads(output.decode().strip().splitlines()[-1])

    def left_behind(self) -> dict[str, list[str]]:
        """What of the stack is still on this Engine, by kind; empty lists when all is gone."""
        label = {"label": f"{STACK_LABEL}={self.name}"}
        swarm_active = self.swarm_state() == "active"
        return {
            "services": [s.name for s in self.docker.services.list(filters=label)] if swarm_active else [],
            "containers": [c.name for c in self.docker.containers.list(all=True, filters=label)],
            "networks": [n.name for n in self.docker.networks.list(filters=label)],
            "volumes": [v.name for v in self.docker.volumes.list(filters=label)],
        }


@pytest.fixture(scope="module")
def swarm_stack():
    stack = SwarmStack(f"stormlab-it-swarm-{uuid.uuid4().hex[:6]}")
    try:
        started = stack.script("swarm/up.sh")
        if started.returncode != 0:
            pytest.fail(f"swarm/up.sh failed:\n{started.stdout}\n{started.stderr}", pytrace=False)
        yield stack
    finally:
        stack.script("swarm/down.sh")  # a no-op after the last test's own swarm-down
