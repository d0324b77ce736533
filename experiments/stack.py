"""The running stack, seen through the Docker SDK: is it up and healthy, where are its
published ports, and a way to call the services' admin APIs, which are not published.

The stack runs on Compose (``make up``) or as a Swarm stack (``make swarm-up``, swarm/): the
engine is named (``--swarm``) or found (a Compose project's containers, else a Swarm stack's
services, of that name). Starting uses the same script as the make target (tools/up.sh or
swarm/up.sh); the SDK then confirms every container is healthy. A stack the runner started,
the runner removes. On Swarm the runner sees the tasks on its own node: the stack places all
but the client workers on a manager, which is where the runner runs (docs/past-one-machine.md).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from experiments.errors import ComponentError, StackError
from experiments.waiting import poll
from stormlab_common.compose import ComposeMissing, compose_command, compose_environment

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("api", "dns", "kv", "monitoring", "proxy", "loadgen", "loadgen-worker", "prometheus")
COMPOSE, SWARM = "compose", "swarm"
STARTERS = {COMPOSE: ("tools/up.sh",), SWARM: ("swarm/up.sh",)}
STOPPERS = {SWARM: ("swarm/down.sh",)}

# Runs inside a service container: one HTTP call to its own admin API, the answer as JSON.
_CALL = """
import json, sys, urllib.request, urllib.error
method, path, body = sys.argv[1], sys.argv[2], sys.argv[3]
request = urllib.request.Request("http://127.0.0.1:8080" + path, method=method,
    data=body.encode() if body else None, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        print(json.dumps({"status": response.status, "body": json.loads(response.read() or b"null")}))
except urllib.error.HTTPError as error:
    text = error.read().decode(errors="replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    print(json.dumps({"status": error.code, "body": body}))
"""
SERVICE_PORT = 8080
HEALTH_POLL_SECONDS = 1.0


class Stack:
    def __init__(self, project: str | None = None, engine: str | None = None):
        """``engine``: COMPOSE or SWARM; None finds it from what runs under ``project``."""
        import docker  # the runner's dependency only; imported when a stack is used

        self.project = project or os.environ.get("COMPOSE_PROJECT_NAME", "stormlab")
        try:
            self.docker = docker.from_env()
            self.docker.ping()
        except docker.errors.DockerException as exc:
            raise StackError(f"cannot reach the Docker Engine ({exc}); is it running?") from None
        if engine not in (None, COMPOSE, SWARM):
            raise StackError(f"engine must be {COMPOSE!r} or {SWARM!r}, not {engine!r}")
        self.engine = engine or self._running_engine()
        self.started_here = False

    def _running_engine(self) -> str:
        """Compose if the project has containers, Swarm if a stack of that name has services."""
        compose_label = f"com.docker.compose.project={self.project}"
        if self.docker.containers.list(all=True, filters={"label": compose_label}):
            return COMPOSE
        manager = self.docker.info().get("Swarm", {}).get("ControlAvailable")
        stack_label = f"com.docker.stack.namespace={self.project}"
        if manager and self.docker.services.list(filters={"label": stack_label}):
            return SWARM
        return COMPOSE

    def running_containers(self) -> list[tuple[str, object]]:
        """Every running container of the stack, as (a short name, container): a Compose
        container is its service and replica number (``loadgen-worker-2``), whatever Compose
        version named it; a Swarm task keeps its own name."""
        if self.engine == SWARM:
            label = f"com.docker.stack.namespace={self.project}"
            return [(c.name, c) for c in self.docker.containers.list(filters={"label": label})]
        found = self.docker.containers.list(filters={"label": f"com.docker.compose.project={self.project}"})
        return [(f"{c.labels.get('com.docker.compose.service', c.name)}-"
                 f"{c.labels.get('com.docker.compose.container-number', '1')}", c) for c in found]

    def containers(self, service: str) -> list:
        if self.engine == SWARM:
            labels = [f"com.docker.stack.namespace={self.project}",
                      f"com.docker.swarm.service.name={self.project}_{service}"]
        else:
            labels = [f"com.docker.compose.project={self.project}", f"com.docker.compose.service={service}"]
        return self.docker.containers.list(filters={"label": labels})

    def problems(self) -> list[str]:
        """Why the stack is not ready: missing or unhealthy services; empty when it is."""
        found = []
        for service in REQUIRED:
            containers = self.containers(service)
            if not containers:
                found.append(f"{service}: not running")
            for container in containers:
                health = container.attrs["State"].get("Health", {}).get("Status", "none")
                if health not in ("healthy", "none"):
                    found.append(f"{container.name}: {health}")
        return found

    def ensure_up(self, start: bool = True, timeout: float = 180) -> None:
        """Confirm the stack is healthy, starting it (and remembering that) if it is absent."""
        problems = self.problems()
        if not problems:
            return
        if not start:
            raise StackError(f"stack {self.project!r} is not ready: " + "; ".join(problems))
        running = [s for s in REQUIRED if self.containers(s)]
        env = {**os.environ, "COMPOSE_PROJECT_NAME": self.project}
        done = subprocess.run(
            [str(ROOT / script) for script in STARTERS[self.engine]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout + 300,
        )
        self.started_here = not running
        if done.returncode != 0:
            raise StackError(
                f"starting stack {self.project!r} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )

        def unhealthy(problems: list[str]) -> list[str]:
            raise StackError(
                f"stack {self.project!r} not healthy after {timeout:.0f} s: " + "; ".join(problems)
            )

        poll(self.problems, lambda problems: not problems, timeout=timeout, every=HEALTH_POLL_SECONDS,
             timed_out=unhealthy)

    def down(self) -> None:
        if self.engine == SWARM:  # the stack, its networks and volumes, and a swarm it made
            subprocess.run([str(ROOT / script) for script in STOPPERS[SWARM]], cwd=ROOT, capture_output=True,
                           env={**os.environ, "COMPOSE_PROJECT_NAME": self.project}, timeout=300)
            return
        # over the files it was started with (tools/up.sh), so what they add is removed too
        env = compose_environment({**os.environ, "COMPOSE_PROJECT_NAME": self.project})
        try:
            command = compose_command()
        except ComposeMissing as exc:
            raise StackError(str(exc)) from None
        subprocess.run(
            [*command, "down", "--volumes", "--remove-orphans", "--timeout", "5"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
        )

    def url(self, service: str, port: int) -> str | None:
        """``http://127.0.0.1:<published port>`` of a service's container port; None if unpublished."""
        for container in self.containers(service):
            bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp") or []
            for binding in bindings:
                host = binding.get("HostIp") or "127.0.0.1"
                host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
                return f"http://{host}:{binding['HostPort']}"
        return None

    def call_service(self, service: str, method: str, path: str, body: dict | None = None) -> list[dict]:
        """Call ``path`` on every replica's own admin port (not published: run in the container)."""
        replicas = self.containers(service)
        if not replicas:
            raise StackError(f"no running {service} container in project {self.project!r}")
        answers = []
        for container in replicas:
            code, output = container.exec_run(
                ["python3", "-c", _CALL, method, path, json.dumps(body) if body is not None else ""]
            )
            answers.append(replica_answer(container.name, method, path, code, output))
        return answers

    def run_python(self, service: str, code: str, *args: str) -> dict:
        """Run ``code`` with python3 in the first container of ``service`` (from where it sits on
        the stack's networks); its last line of output, a JSON object."""
        containers = self.containers(service)
        if not containers:
            raise StackError(f"no running {service} container in project {self.project!r}")
        exit_code, output = containers[0].exec_run(["python3", "-c", code, *args])
        text = output.decode(errors="replace")
        lines = text.strip().splitlines()
        try:
            answer = json.loads(lines[-1]) if exit_code == 0 and lines else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise StackError(f"{containers[0].name}: a script in the container failed: {text[-500:]}")
        return answer

    def replica_endpoints(self, service: str) -> list[dict]:
        """Every replica of ``service`` as its membership lists it: ``{"replica": hostname,
        "address": "<ip on the main network>:8080"}``."""
        network = f"{self.project}_main"
        return [
            {
                "replica": c.attrs["Config"]["Hostname"],
                "address": f"{c.attrs['NetworkSettings']['Networks'][network]['IPAddress']}:{SERVICE_PORT}",
            }
            for c in self.containers(service)
        ]

    def image_ids(self) -> dict[str, str]:
        images = {}
        for service in REQUIRED:
            for container in self.containers(service):
                images[service] = container.image.id
        return images


def replica_answer(container: str, method: str, path: str, code: int, output: bytes):
    """The body one replica answered through ``_CALL``; a ComponentError if it refused, a
    StackError if the call could not be made in its container."""
    text = output.decode(errors="replace")
    lines = text.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if code == 0 and lines else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "status" not in answer:
        raise StackError(f"{container}: {method} {path} failed: {text[-500:]}")
    if answer["status"] >= 400:
        raise ComponentError(method, f"http://127.0.0.1:{SERVICE_PORT}{path} in {container}",
                             answer["status"], answer.get("body"))
    return answer.get("body")
