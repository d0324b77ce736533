"""The stack seen through Docker, without Docker: a replica's answer read back from the
script run in its container, its endpoints as a membership lists them, and the wait for a
started stack to be healthy (bounded, and clear about what is still wrong)."""

import json
import subprocess
import time
from types import SimpleNamespace

import pytest

from experiments import stack as stack_module
from experiments.errors import ComponentError, StackError
from experiments.stack import Stack, replica_answer


def output(status, body) -> bytes:
    return (json.dumps({"status": status, "body": body}) + "\n").encode()


def test_a_replicas_answer_is_its_body():
    assert replica_answer("api-1", "GET", "/admin/config", 0, output(200, {"config": {}})) == {"config": {}}


def test_a_replicas_refusal_is_a_component_error_naming_the_container():
    body = {"error": "change refused", "problems": ["capacity.wrokers: unknown key"]}
    with pytest.raises(ComponentError) as caught:
        replica_answer("stormlab-api-2", "PATCH", "/admin/config", 0, output(400, body))
    assert caught.value.status == 400 and caught.value.body == body
    assert str(caught.value) == ("PATCH http://127.0.0.1:8080/admin/config in stormlab-api-2 answered 400: "
                                 "change refused: capacity.wrokers: unknown key")


@pytest.mark.parametrize("code,text", [(1, b"Traceback ...\nConnectionRefusedError: [Errno 111]"),
                                       (0, b""), (0, b"not json")])
def test_a_call_that_could_not_be_made_says_what_the_container_printed(code, text):
    with pytest.raises(StackError, match=r"^api-1: GET /admin/config failed: ") as caught:
        replica_answer("api-1", "GET", "/admin/config", code, text)
    assert not isinstance(caught.value, ComponentError)
    assert text.decode()[-20:] in str(caught.value)


def bare_stack(problems, monkeypatch, containers=()):
    """A Stack that never touches Docker: ``problems`` answers one list per call."""
    stack = Stack.__new__(Stack)
    stack.project, stack.started_here, stack.engine = "fake", False, stack_module.COMPOSE
    answers = iter(problems)
    stack.problems = lambda: next(answers)
    stack.containers = lambda service: list(containers)
    monkeypatch.setattr(stack_module.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, "", ""))
    monkeypatch.setattr(stack_module, "HEALTH_POLL_SECONDS", 0.05)
    return stack


def test_a_started_stack_is_waited_for_until_healthy(monkeypatch):
    stack = bare_stack([["api: not running"], ["api-1: starting"], ["api-1: starting"], []], monkeypatch)
    started = time.monotonic()
    stack.ensure_up(timeout=10)
    assert stack.started_here  # nothing was running: the runner started it, the runner removes it
    assert 2 * 0.05 - 0.01 <= time.monotonic() - started < 2 * 0.05 + 2.0


def test_a_stack_that_never_gets_healthy_is_a_clear_error_in_time(monkeypatch):
    stack = bare_stack([["api: not running"]] + [["api-1: unhealthy", "kv-1: starting"]] * 1000, monkeypatch)
    started = time.monotonic()
    with pytest.raises(StackError, match=r"^stack 'fake' not healthy after 0 s: api-1: unhealthy; kv-1: starting$"):
        stack.ensure_up(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 0.3 + 2.0


def test_a_stack_not_ready_and_not_to_be_started_says_why(monkeypatch):
    stack = bare_stack([["kv: not running"]], monkeypatch)
    with pytest.raises(StackError, match="stack 'fake' is not ready: kv: not running"):
        stack.ensure_up(start=False)


def test_replica_endpoints_are_their_hostnames_and_main_network_addresses(monkeypatch):
    def container(host, ip):
        return SimpleNamespace(attrs={"Config": {"Hostname": host},
                                      "NetworkSettings": {"Networks": {"fake_main": {"IPAddress": ip}}}})

    stack = bare_stack([], monkeypatch, [container("a1", "10.0.0.5"), container("a2", "10.0.0.6")])
    assert stack.replica_endpoints("api") == [{"replica": "a1", "address": "10.0.0.5:8080"},
                                              {"replica": "a2", "address": "10.0.0.6:8080"}]


class FakeDocker:
    """What the engine detection and the container lookup ask of the Docker SDK."""

    def __init__(self, compose_containers=(), swarm_services=(), manager=True):
        self.asked = []
        self._compose, self._swarm, self._manager = list(compose_containers), list(swarm_services), manager
        self.containers = SimpleNamespace(list=self._containers)
        self.services = SimpleNamespace(list=lambda filters: self._swarm)

    def _containers(self, all=False, filters=None):
        self.asked.append(filters["label"])
        return self._compose if "com.docker.compose.project=lab" in str(filters["label"]) else []

    def info(self):
        return {"Swarm": {"ControlAvailable": self._manager}}


def detected(docker_client, engine=None) -> Stack:
    stack = Stack.__new__(Stack)
    stack.project, stack.docker = "lab", docker_client
    stack.engine = engine or stack._running_engine()
    return stack


@pytest.mark.parametrize(("client", "engine"), [
    (FakeDocker(compose_containers=["c"]), stack_module.COMPOSE),
    (FakeDocker(swarm_services=["lab_api"]), stack_module.SWARM),
    (FakeDocker(swarm_services=["lab_api"], manager=False), stack_module.COMPOSE),  # a worker node sees none
    (FakeDocker(), stack_module.COMPOSE),  # nothing runs: started on Compose unless --swarm
])
def test_the_engine_is_found_from_what_runs_under_the_project(client, engine):
    assert detected(client).engine == engine


def test_on_swarm_a_services_containers_are_its_tasks():
    client = FakeDocker()
    detected(client, stack_module.SWARM).containers("proxy")
    assert client.asked[-1] == ["com.docker.stack.namespace=lab", "com.docker.swarm.service.name=lab_proxy"]


def test_an_unknown_engine_is_refused(monkeypatch):
    import docker

    monkeypatch.setattr(docker, "from_env", lambda: SimpleNamespace(ping=lambda: True))
    with pytest.raises(StackError, match="engine must be 'compose' or 'swarm', not 'k8s'"):
        Stack("lab", engine="k8s")
