"""Arrival schedules, the workload mix, shape plans and the attempt cap: pure functions."""

import itertools
import random

import pytest

from loadgen.arrivals import arrival_gaps
from loadgen.attempt_cap import AttemptCap
from loadgen.config import Call
from loadgen.shape_plan import plan
from loadgen.workload import Workload
from stormlab_common.config import ConfigError


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
    calls = (Call("get", "kv", "GET", "/v1/items/item-{n}", 10, 3.0, 0, None),
             Call("put", "kv", "PUT", "/v1/items/c", 1, 1.0, 64, None),
             Call("push", "monitoring", "POST", "/v1/metrics", 1, 1.0, 0, {"agent": "a"}))
    workload = Workload(calls)
    rng = random.Random(5)
    picks = [workload.pick(rng).name for _ in range(5000)]
    assert 0.55 < picks.count("get") / 5000 < 0.65
    path, body = workload.request(calls[0], rng)
    assert path.startswith("/v1/items/item-") and 0 <= int(path.rsplit("-", 1)[1]) < 10 and body is None
    assert workload.request(calls[1], rng)[1] == b"x" * 64
    assert workload.request(calls[2], rng)[1] == b'{"agent": "a"}'
    assert set(workload.first_call_per_target()) == {"kv", "monitoring"}


def test_surge_plan():
    surge = plan({"kind": "surge", "clients": 10, "factor": 5, "start_seconds": 30, "surge_seconds": 15,
                  "seconds": 120})
    assert [surge.clients_at(t) for t in (0, 29.9, 30, 44.9, 45, 119.9, 120)] == [10, 10, 50, 50, 10, 10, None]


def test_sweep_and_steady_plans():
    sweep = plan({"kind": "sweep", "steps": [{"clients": 10, "seconds": 5}, {"clients": 20, "seconds": 5},
                                             {"clients": 10, "seconds": 5}]})
    assert [sweep.clients_at(t) for t in (0, 5, 10, 15)] == [10, 20, 10, None]
    assert plan({"kind": "steady", "clients": 3, "seconds": 2}).clients_at(1) == 3


def test_bad_plans_are_explained():
    with pytest.raises(ConfigError, match="the surge must end"):
        plan({"kind": "surge", "clients": 1, "factor": 2, "start_seconds": 10, "surge_seconds": 10, "seconds": 20})
    with pytest.raises(ConfigError, match=r"shape\.kind: expected one of"):
        plan({"kind": "wave"})
    with pytest.raises(ConfigError, match=r"shape\.factor: expected a number >= 1"):
        plan({"kind": "surge", "clients": 1, "factor": 0.5, "start_seconds": 1, "surge_seconds": 1, "seconds": 9})


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


def test_the_config_names_every_bad_key_policies_included():
    from loadgen.config import load_loadgen_config

    with pytest.raises(ConfigError) as caught:
        load_loadgen_config(env={}, overrides=[
            "clients.good.policy.name=full-jitter", "clients.good.policy.max_attempts=0",
            "clients.bad.policy.name=retry-forever", "workload.w.target=nowhere", "workload.w.path=/x"])
    problems = "\n".join(caught.value.problems)
    assert "clients.good.policy.max_attempts" in problems
    assert "clients.bad.policy.name: expected one of" in problems
    assert "workload.w.target: unknown target 'nowhere'; targets: api" in problems
