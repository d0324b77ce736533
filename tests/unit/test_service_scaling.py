"""The host-side trigger stays importable where there is no Docker SDK (the service image,
Debian's test image): it loads the SDK only when it runs. Its real work is tested against
real containers in tests/integration/test_services.py."""

import subprocess
import sys

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
