"""Brooker's jitters: every delay within its formula's bounds (hypothesis, over seeds and
attempts), the exact decorrelated chain per request, and the client's own random stream."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadgen.policies import make_policy
from loadgen.policies.base import TIMEOUT, Outcome
from stormlab_common.contracts.policies import parse_policy

FAIL = Outcome(TIMEOUT)
JITTERED = ["full-jitter", "equal-jitter", "decorrelated-jitter", "retry-budget", "circuit-breaker", "adaptive"]

seeds = st.integers(min_value=0, max_value=2**32)
bases = st.floats(min_value=0.001, max_value=5)
caps = st.floats(min_value=0.001, max_value=60)


def policy(name, params=None, seed=1):
    return make_policy(parse_policy({"name": name, **(params or {})}), random.Random(seed), lambda: 0.0)


def delays(request, attempts):
    return [request.backoff(attempt, FAIL) for attempt in range(1, attempts)]


@settings(max_examples=200)
@given(seed=seeds, base=bases, cap=caps)
def test_full_jitter_stays_within_zero_and_the_capped_exponential(seed, base, cap):
    full = policy("full-jitter", {"max_attempts": 40, "base_seconds": base, "cap_seconds": cap}, seed)
    for n, delay in enumerate(delays(full, 40)):  # n: retries already made
        assert 0 <= delay <= min(cap, base * 2**n) * (1 + 1e-12)


@settings(max_examples=200)
@given(seed=seeds, base=bases, cap=caps)
def test_equal_jitter_stays_within_half_and_all_of_the_capped_exponential(seed, base, cap):
    equal = policy("equal-jitter", {"max_attempts": 40, "base_seconds": base, "cap_seconds": cap}, seed)
    for n, delay in enumerate(delays(equal, 40)):
        ceiling = min(cap, base * 2**n)
        assert ceiling / 2 <= delay <= ceiling * (1 + 1e-12)


@settings(max_examples=200)
@given(seed=seeds, base=bases, cap=caps)
def test_decorrelated_jitter_stays_within_base_and_three_times_the_previous(seed, base, cap):
    decorrelated = policy("decorrelated-jitter", {"max_attempts": 40, "base_seconds": base,
                                                  "cap_seconds": cap}, seed).for_request()
    previous = base
    for delay in delays(decorrelated, 40):
        assert min(cap, base) <= delay <= min(cap, 3 * previous) * (1 + 1e-12)
        previous = delay


def test_full_and_equal_jitter_spread_over_their_whole_range():
    """Means near the middle of each range (a constant delay at either end would fail)."""
    ceiling = 0.8  # base 0.1, fourth retry
    full = policy("full-jitter", {"max_attempts": 5})
    equal = policy("equal-jitter", {"max_attempts": 5})
    full_delays = [full.backoff(4, FAIL) for _ in range(4000)]
    equal_delays = [equal.backoff(4, FAIL) for _ in range(4000)]
    assert sum(full_delays) / 4000 == pytest.approx(ceiling / 2, rel=0.05)
    assert sum(equal_delays) / 4000 == pytest.approx(ceiling * 3 / 4, rel=0.05)
    assert min(full_delays) < 0.05 * ceiling and max(full_delays) > 0.95 * ceiling


def test_decorrelated_chains_are_per_request_and_follow_brookers_formula_exactly():
    base, cap = 0.1, 10.0
    decorrelated = policy("decorrelated-jitter", {"max_attempts": 10}, seed=7)
    a, b = decorrelated.for_request(), decorrelated.for_request()
    got = [a.backoff(1, FAIL), a.backoff(2, FAIL), b.backoff(1, FAIL), a.backoff(3, FAIL), b.backoff(2, FAIL)]
    draws = random.Random(7)  # the same stream, drawn in the same order
    a1 = min(cap, draws.uniform(base, 3 * base))
    a2 = min(cap, draws.uniform(base, 3 * a1))
    b1 = min(cap, draws.uniform(base, 3 * base))
    a3 = min(cap, draws.uniform(base, 3 * a2))
    b2 = min(cap, draws.uniform(base, 3 * b1))
    assert got == [a1, a2, b1, a3, b2]


@pytest.mark.parametrize("name", JITTERED)
def test_jittered_policies_make_three_attempts_by_default(name):
    request = policy(name).for_request()
    assert [d is None for d in delays(request, 4)] == [False, False, True]


@pytest.mark.parametrize("name", JITTERED)
def test_same_seed_same_delays_and_another_seed_others(name):
    def first_delays(seed):
        request = policy(name, {"max_attempts": 30}, seed).for_request()
        return delays(request, 30)

    assert first_delays(3) == first_delays(3)
    assert first_delays(3) != first_delays(4)


@pytest.mark.parametrize("name", JITTERED)
def test_draws_come_from_the_clients_rng_never_the_global_one(name, monkeypatch):
    def global_draw(*args, **kwargs):
        raise AssertionError("the global random stream was used")

    for function in ("random", "uniform", "expovariate", "gauss"):
        monkeypatch.setattr(random, function, global_draw)
    request = policy(name, {"max_attempts": 10}).for_request()
    assert all(d is not None for d in delays(request, 10))
