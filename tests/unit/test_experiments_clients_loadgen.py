"""The locust master's client over real HTTP: swarm and stop as each locust takes them, and
the waits for the workers (config applied, attempts reported), each bounded and clear."""

import re
import time

import pytest

from experiments.clients import loadgen
from experiments.clients.loadgen import LoadgenClient
from experiments.errors import ComponentError, StackError
from tests.unit.experiments_http_fake import FakeHttp


@pytest.fixture
def fake():
    with FakeHttp() as fake:
        yield fake


def test_swarm_sends_the_count_and_rate_as_locusts_form(fake):
    fake.on("POST", "/swarm", (200, {"success": True, "message": "Swarming started"}))
    LoadgenClient(fake.url).swarm(50, 12.5)
    assert fake.calls[0].body == {"user_count": "50", "spawn_rate": "12.5"}


def test_a_swarm_locust_refuses_is_a_clear_error(fake):
    fake.on("POST", "/swarm", (200, {"success": False, "message": "no workers connected"}))
    with pytest.raises(StackError, match="locust refused the swarm: no workers connected"):
        LoadgenClient(fake.url).swarm(50, 10)


def test_stop_posts_as_current_locust_wants(fake):
    fake.on("POST", "/stop", (200, {"success": True}))
    LoadgenClient(fake.url).stop()
    assert [(c.method, c.path) for c in fake.calls] == [("POST", "/stop")]


def test_stop_falls_back_to_get_on_a_locust_that_only_takes_get(fake):
    fake.on("POST", "/stop", (405, b"Method Not Allowed"))
    fake.on("GET", "/stop", (200, {"success": True}))
    LoadgenClient(fake.url).stop()
    assert [(c.method, c.path) for c in fake.calls] == [("POST", "/stop"), ("GET", "/stop")]


def test_stop_that_fails_otherwise_says_so(fake):
    fake.on("POST", "/stop", (500, {"error": "runner crashed"}))
    with pytest.raises(ComponentError, match=r"POST .*/stop answered 500: runner crashed"):
        LoadgenClient(fake.url).stop()
    assert len(fake.calls) == 1  # not retried as GET: only a 405 means "the other method"


@pytest.mark.parametrize("stats,stopped", [
    ({"state": "stopped", "user_count": 0}, True),
    ({"state": "ready", "user_count": 0}, True),
    ({"state": "running", "user_count": 0}, False),
    ({"state": "stopped", "user_count": 3}, False),
])
def test_stopped_reads_locusts_state_and_count(fake, stats, stopped):
    fake.on("GET", "/stats/requests", (200, stats))
    assert LoadgenClient(fake.url).stopped() is stopped


def config_state(lag: int):
    """The live config's answers: generation 1 after the PUT, applied by the workers once
    they have been asked ``lag`` times since."""
    gets = []

    def get(call):
        gets.append(call)
        return 200, {"generation": 1, "workers": {"w1": 1 if len(gets) >= lag else 0, "w2": 1}}

    return get, gets


def test_put_config_waits_until_every_worker_has_applied_it(fake):
    get, gets = config_state(lag=3)
    fake.on("PUT", "/stormlab/config", (200, {"generation": 1, "config": {}, "workers": {"w1": 0, "w2": 1}}))
    fake.on("GET", "/stormlab/config", get)
    started = time.monotonic()
    answer = LoadgenClient(fake.url).put_config({"seed": 7})
    elapsed = time.monotonic() - started
    assert answer["workers"] == {"w1": 1, "w2": 1} and len(gets) == 3
    assert fake.called("PUT")[0].body == {"seed": 7}
    # two pauses of 0.2 s between the three reads; generous above for a busy machine
    assert 2 * loadgen.CONFIG_POLL - 0.05 <= elapsed < 2 * loadgen.CONFIG_POLL + 2.0


def test_put_config_already_applied_asks_nothing_more(fake):
    fake.on("PUT", "/stormlab/config", (200, {"generation": 4, "workers": {"w1": 4}}))
    LoadgenClient(fake.url).put_config({})
    assert fake.called("GET") == []


@pytest.mark.parametrize("workers", [{"w1": 0}, {}])  # behind, or no worker connected at all
def test_a_config_no_worker_applies_is_a_clear_error_in_time(fake, workers):
    fake.on("PUT", "/stormlab/config", (200, {"generation": 2, "workers": workers}))
    fake.on("GET", "/stormlab/config", (200, {"generation": 2, "workers": workers}))
    started = time.monotonic()
    with pytest.raises(StackError, match=re.escape(f"workers did not apply config 2 in 0 s: {workers}")):
        LoadgenClient(fake.url).put_config({"seed": 1}, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 0.3 + loadgen.CONFIG_POLL + 2.0


def test_a_refused_config_names_every_problem(fake):
    fake.on("PUT", "/stormlab/config", (400, {"error": "invalid configuration patch (1 problem); nothing changed",
                                              "problems": ["clients.c.policy.name: unknown policy 'nave'"]}))
    with pytest.raises(ComponentError, match=r"400: invalid configuration patch .*: clients.c.policy.name: unknown policy 'nave'"):
        LoadgenClient(fake.url).put_config({"clients": {"c": {"policy": {"name": "nave"}}}})


def attempts(lag: int):
    """The attempts' answers: complete once asked ``lag`` times before."""
    reads = []

    def get(call):
        reads.append(call)
        return 200, {"complete": len(reads) > lag, "workers": {"w1": 99.0}, "slots": [[1.0, 2, 3]]}

    return get


def test_attempts_wait_until_every_worker_has_reported_the_window(fake):
    fake.on("GET", "/stormlab/attempts", attempts(lag=2))
    started = time.monotonic()
    answer = LoadgenClient(fake.url).attempts(100.0, 112.5)
    elapsed = time.monotonic() - started
    assert answer["slots"] == [[1.0, 2, 3]]
    reads = fake.called("GET", "/stormlab/attempts")
    assert len(reads) == 3 and reads[0].query == {"since": "100.0", "until": "112.5"}
    assert 2 * loadgen.ATTEMPTS_POLL - 0.05 <= elapsed < 2 * loadgen.ATTEMPTS_POLL + 2.0


def test_attempts_never_complete_is_a_clear_error_in_time(fake):
    fake.on("GET", "/stormlab/attempts", attempts(lag=10**6))
    started = time.monotonic()
    with pytest.raises(StackError, match=r"had not all reported .* after 0 s: \{'w1': 99.0\}"):
        LoadgenClient(fake.url).attempts(100.0, 112.5, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 0.3 + loadgen.ATTEMPTS_POLL + 2.0


def test_worker_count_is_the_masters_count_of_its_workers_wherever_they_run(fake):
    fake.on("GET", "/stormlab/workers", (200, {"count": 3, "workers": [
        {"id": "in-stack", "metrics": None, "last_seen": 1.0},
        {"id": "remote-0", "metrics": "192.168.1.31:9646", "last_seen": 1.0},
        {"id": "remote-1", "metrics": "192.168.1.31:9647", "last_seen": None}]}))
    assert LoadgenClient(fake.url).worker_count() == 3
