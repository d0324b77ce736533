"""The real stack, started once per session in a throwaway Compose project.

It is brought up by the same `tools/up.sh` that `make up` runs, under its own project name
and with Docker-chosen loopback ports (so it never collides with a stack a person has
running), and it is always torn down: after the last test, or when `up` itself fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import docker
import pytest

from stormlab_common.compose import compose_command, compose_environment

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED_PORT_VARIABLES = ["STORMLAB_PROXY_ADMIN_PORT", "STORMLAB_LOCUST_PORT",
                            "STORMLAB_PROMETHEUS_PORT", "STORMLAB_GRAFANA_PORT", "STORMLAB_PUSHGATEWAY_PORT"]


class Stack:
    def __init__(self, project: str, extra_files: tuple[str, ...] = ()):
        self.project = project
        # Empty port variables make compose publish on a free loopback port. One client worker,
        # not one per core (tools/up.sh's default): the tests count workers from one.
        self.env = {**os.environ, "COMPOSE_PROJECT_NAME": project, "STORMLAB_LOADGEN_WORKERS": "1",
                    **dict.fromkeys(PUBLISHED_PORT_VARIABLES, "")}
        if extra_files:  # read by both Compose v1 and v2, so tools/up.sh sees them too
            self.env["COMPOSE_FILE"] = os.pathsep.join(["docker-compose.yml", *extra_files])
        self.docker = docker.from_env()

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*compose_command(), *args], cwd=ROOT, env=self.env, check=check,
                              capture_output=True, text=True, timeout=300)

    def url(self, service: str, port: int) -> str:
        address = self.compose("port", service, str(port)).stdout.strip().splitlines()[-1]
        return "http://" + address.replace("0.0.0.0", "127.0.0.1")

    def container(self, service: str):
        (found,) = self.docker.containers.list(filters={"label": [
            f"com.docker.compose.project={self.project}", f"com.docker.compose.service={service}"]})
        return found

    def run_python(self, service: str, code: str):
        """Run ``code`` with python3 inside the service's container; return its JSON output."""
        exit_code, output = self.container(service).exec_run(["python3", "-c", code])
        assert exit_code == 0, output.decode()
        return json.loads(output.decode().strip().splitlines()[-1])

    def prometheus(self, path: str, **params) -> dict:
        url = self.url("prometheus", 9090) + path + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)["data"]

    def value(self, promql: str) -> float:
        """The instant value of a query that returns one series; 0 when it returns none."""
        result = self.prometheus("/api/v1/query", query=promql)["result"]
        assert len(result) <= 1, f"{promql} returned {len(result)} series"
        return float(result[0]["value"][1]) if result else 0.0


def wait_until(condition, timeout: float, interval: float = 1.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# The worked example of your own service (docs/own-service.md) rides on the shared stack, named
# as the docs page says (STORMLAB_COMPOSE_FILES): one nginx container more, idle but for
# tests/integration/test_own_service.py, spares a stack of its own (~40 s of CI).
OWN_SERVICE_OVERRIDE = "examples/own-service/docker-compose.own.yml"


@pytest.fixture(scope="session")
def stack():
    shared = Stack(f"stormlab-it-{uuid.uuid4().hex[:8]}")
    shared.env = compose_environment({**shared.env, "STORMLAB_COMPOSE_FILES": OWN_SERVICE_OVERRIDE})
    yield from started(shared)


def started(stack: Stack):
    """Bring ``stack`` up with tools/up.sh, yield it, and always remove it."""
    try:
        started = subprocess.run([str(ROOT / "tools/up.sh")], cwd=ROOT, env=stack.env,
                                 capture_output=True, text=True, timeout=300)
        if started.returncode != 0:
            pytest.fail(f"tools/up.sh failed:\n{started.stdout}\n{started.stderr}", pytrace=False)
        yield stack
    finally:
        stack.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
