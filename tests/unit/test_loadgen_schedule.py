"""Arrival schedules, the workload mix and the attempt cap: pure functions (the load shapes
are the contract's: test_contracts_loadgen_shapes.py)."""

import itertools
import random

import pytest

from loadgen.arrivals import arrival_gaps
from loadgen.attempt_cap import AttemptCap
from loadgen.workload import Workload
from stormlab_common.contracts.loadgen import Call


def first(gaps, n):
    return list(itertools.islice(gaps, n))


def test_the_same_seed_gives_the_same_schedule():
    for process in ("poisson", "periodic"):
        assert first(arrival_gaps(process, 5, random.Random(1)), 50) == first(arrival_gaps(process, 5, random.Random(1)), 50)
        assert first(arrival_gaps(process, 5, random.Random(1)), 50) != first(arrival_gaps(process, 5, random.Random(2)), 50)


def test_rates_are_right_on_average():
    poisson = first(arrival_gaps("poisson", 10, random.Random(3)), 20000)
    assert 0.098 < sum(poisson) / len(poisson) < 0.102
    periodic = first(arrival_gaps("periodic", 10, random.Random(3)), 101)
    assert 0 <= periodic[0] < 0.1 and set(periodic[1:]) == {0.1}


def test_workload_weights_paths_and_bodies():
    calls = {"put": Call("kv", "/v1/items/c", method="PUT", keys=1, body_bytes=64),
             "get": Call("kv", "/v1/items/item-{n}", keys=10, weight=3.0),
             "push": Call("monitoring", "/v1/metrics", method="POST", keys=1, body_json={"agent": "a"})}
    workload = Workload(calls)
    rng = random.Random(5)
    picks = [workload.pick(rng) for _ in range(5000)]
    assert 0.55 < picks.count("get") / 5000 < 0.65
    path, body = workload.request("get", rng)
    assert path.startswith("/v1/items/item-") and 0 <= int(path.rsplit("-", 1)[1]) < 10 and body is None
    assert workload.request("put", rng)[1] == b"x" * 64
    assert workload.request("push", rng)[1] == b'{"agent": "a"}'
    assert workload.first_call_per_target() == {"kv": "get", "monitoring": "push"}  # by name


def test_the_mix_is_the_same_whatever_order_the_config_gave_the_calls_in():
    calls = {"a": Call("kv", "/a"), "b": Call("kv", "/b", weight=2.0), "c": Call("api", "/c")}
    reordered = dict(reversed(list(calls.items())))
    assert ([Workload(calls).pick(random.Random(1)) for _ in range(50)]
            == [Workload(reordered).pick(random.Random(1)) for _ in range(50)])


def test_the_attempt_cap_spaces_attempts_after_a_short_burst():
    now = [0.0]
    waited = []

    def sleep(seconds):
        now[0] += seconds

    cap = AttemptCap(100, lambda: now[0], sleep, waited.append)
    now[0] = 10.0  # idle for a while: earns at most a 0.1 s burst (10 attempts)
    for _ in range(30):
        cap.acquire()
    # the burst (0.1 s: 10 attempts) and the one due now go at once; 19 wait 10 ms each
    assert now[0] == pytest.approx(10.0 + 0.19, abs=1e-9)
    assert sum(waited) == pytest.approx(0.19, abs=1e-9)
