"""The host-side trigger stays importable where there is no Docker SDK (the service image,
Debian's test image): it loads the SDK only when it runs. Its real work is tested against
real containers in tests/integration/test_services.py."""

import json
import subprocess
import sys
import types

import pytest

from services import scaling


def test_importing_the_trigger_does_not_import_the_docker_sdk():
    code = "import sys, services.scaling; print('docker' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_bad_arguments_are_refused_before_touching_docker(capsys):
    with pytest.raises(SystemExit) as caught:
        scaling.main(["--service", "kv", "--replicas", "0"])
    assert caught.value.code == 2
    assert "--replicas must be at least 1" in capsys.readouterr().err


class Container:
    def __init__(self, status):
        self.attrs = {"State": {"Health": {"Status": status}} if status else {}}


class Client:
    """Docker's containers.list as the trigger calls it: replicas come up one poll at a time."""

    def __init__(self, polls):
        self.polls, self.calls = polls, 0

    @property
    def containers(self):
        return self

    def list(self, filters):
        self.calls += 1
        return [Container(status) for status in self.polls[min(self.calls, len(self.polls)) - 1]]


def test_waiting_polls_until_every_replica_is_there_and_healthy():
    client = Client([["healthy"], ["healthy", "starting"], ["healthy", "healthy", None]])
    containers = scaling.wait_healthy(client, "p", "kv", 3, timeout=5, poll_seconds=0.001)
    assert (len(containers), client.calls) == (3, 3)
    assert len(scaling.wait_healthy(Client([["healthy"]]), "p", "kv", None, timeout=5)) == 1


def test_waiting_gives_up_after_the_timeout_naming_the_health_seen():
    client = Client([["healthy", "unhealthy"]])
    with pytest.raises(SystemExit) as caught:
        scaling.wait_healthy(client, "p", "kv", 2, timeout=0.05, poll_seconds=0.01)
    assert str(caught.value) == "scaling: kv not healthy after 0.05 s: ['healthy', 'unhealthy']"
    assert client.calls >= 2  # it polled again before giving up


class Replica:
    """A container as the trigger reads it: healthy, with its host name and main-network address;
    a dns replica answers an announcement as dns does (``answer``)."""

    def __init__(self, name, address, answer=None):
        self.name, self.answer, self.announced = name, answer, []
        self.attrs = {"State": {"Health": {"Status": "healthy"}}, "Config": {"Hostname": name},
                      "NetworkSettings": {"Networks": {"p_main": {"IPAddress": address}}}}

    def exec_run(self, command):
        self.announced.append(json.loads(command[-1]))
        return 0, (json.dumps(self.answer) + "\n").encode()


class Docker:
    """Replicas of a Compose project, or (``swarm``) the tasks of a Swarm stack of that name."""

    def __init__(self, answer, swarm=False):
        self.replicas = {"kv": [Replica("kv-1", "10.0.0.2")], "dns": [Replica("dns-1", "10.0.0.9", answer)]}
        self.containers = self
        self.swarm = swarm
        self.services = types.SimpleNamespace(list=lambda filters: ["p_kv", "p_dns"] if swarm else [])

    def info(self):
        return {"Swarm": {"ControlAvailable": self.swarm}}

    def list(self, filters, all=False):
        labels = [filters["label"]] if isinstance(filters["label"], str) else filters["label"]
        if self.swarm == any("compose" in label for label in labels):
            return []  # the other engine's labels: nothing there
        named = [label.split("=", 1)[1] for label in labels if "service=" in label or "service.name=" in label]
        if not named:
            return [replica for replicas in self.replicas.values() for replica in replicas]
        return self.replicas[named[0].removeprefix("p_")]


@pytest.fixture
def docker(monkeypatch):
    """The Docker SDK the trigger imports when it runs, and compose's scaling, both on paper."""
    def make(answer, swarm=False):
        engine = Docker(answer, swarm)
        engine.scaled_on_swarm = None
        monkeypatch.setitem(sys.modules, "docker", types.SimpleNamespace(from_env=lambda: engine))

        def scale(project, service, replicas, swarm=False):
            engine.scaled_on_swarm = swarm
            engine.replicas[service] = [Replica(f"{service}-{n}", f"10.0.0.{n + 1}") for n in range(1, replicas + 1)]

        monkeypatch.setattr(scaling, "scale", scale)
        return engine
    return make


ANSWER = {"service": "kv", "version": 3, "endpoints": [{"replica": "kv-1", "address": "10.0.0.2:8080"},
                                                       {"replica": "kv-2", "address": "10.0.0.3:8080"}],
          "announced_at": 1700000000.5, "changed": True}


def test_the_trigger_says_what_it_did_in_a_sentence(docker, capsys):
    engine = docker(ANSWER)
    assert scaling.main(["--service", "kv", "--replicas", "2", "--project", "p"]) == 0
    assert capsys.readouterr().out == (
        "scaling: scaled kv from 1 to 2 replicas, all healthy; announced to 1 dns replica as membership version 3 "
        "of kv: clients polling GET /v1/membership/kv through the proxy see the new version and reconnect.\n")
    assert engine.replicas["dns"][0].announced == [{"endpoints": ANSWER["endpoints"]}]


def test_with_json_it_prints_the_published_membership_only(docker, capsys):
    docker(ANSWER)
    assert scaling.main(["--service", "kv", "--replicas", "2", "--project", "p", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ANSWER


def test_an_announcement_that_changes_nothing_says_so(docker, capsys):
    docker({**ANSWER, "endpoints": ANSWER["endpoints"][:1], "changed": False})
    assert scaling.main(["--service", "kv", "--project", "p"]) == 0
    assert capsys.readouterr().out == (
        "scaling: kv runs 1 replica, healthy; its membership is unchanged (version 3, the same 1 endpoint), so "
        "1 dns replica kept it and the clients keep their connections.\n")


def test_on_a_swarm_stack_the_trigger_scales_the_swarm_service_and_announces_its_tasks(docker, capsys):
    engine = docker(ANSWER, swarm=True)
    assert scaling.main(["--service", "kv", "--replicas", "2", "--project", "p"]) == 0
    assert engine.scaled_on_swarm is True
    assert [e["replica"] for e in engine.replicas["dns"][0].announced[-1]["endpoints"]] == ["kv-1", "kv-2"]
    assert capsys.readouterr().out.startswith("scaling: scaled kv from 1 to 2 replicas, all healthy")


def test_on_compose_the_trigger_scales_with_compose(docker, capsys):
    engine = docker(ANSWER)
    assert scaling.main(["--service", "kv", "--replicas", "2", "--project", "p"]) == 0
    assert engine.scaled_on_swarm is False
