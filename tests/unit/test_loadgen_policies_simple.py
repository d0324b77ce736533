"""none, naive, fixed and exponential: attempt counts and delays, driven like the runner does
(loadgen/policies/base.py) with a fake clock and fake outcomes."""

import random

import pytest

from loadgen.policies import make_policy
from loadgen.policies.base import ATTEMPTS_EXHAUSTED, SERVER_ERROR, SUCCESS, TIMEOUT, Outcome
from stormlab_common.contracts.loadgen import Profile
from stormlab_common.contracts.policies import parse_policy

FAIL = Outcome(TIMEOUT)
OK = Outcome(SUCCESS)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def run(policy, outcomes, clock, limit=1000):
    """The runner's loop without a network or a deadline: (attempts sent, delays, end)."""
    request, delays, attempt = policy.for_request(), [], 1
    while attempt <= limit:
        refusal = request.admit(attempt)
        if refusal:
            return attempt - 1, delays, refusal
        outcome = outcomes(attempt)
        request.record(attempt, outcome)
        if outcome.ok:
            return attempt, delays, SUCCESS
        delay = request.backoff(attempt, outcome)
        if delay is None:
            return attempt, delays, ATTEMPTS_EXHAUSTED
        delays.append(delay)
        clock.now += delay
        attempt += 1
    return attempt - 1, delays, "limit"


def always(outcome):
    return lambda attempt: outcome


def policy(name, params=None, clock=None):
    return make_policy(parse_policy({"name": name, **(params or {})}), random.Random(1), clock or FakeClock())


def test_none_makes_one_attempt():
    clock = FakeClock()
    assert run(policy("none", clock=clock), always(FAIL), clock) == (1, [], ATTEMPTS_EXHAUSTED)


def test_naive_retries_at_once_and_never_gives_up():
    clock = FakeClock()
    attempts, delays, end = run(policy("naive", clock=clock), always(FAIL), clock, limit=5000)
    assert (attempts, end) == (5000, "limit")  # only the runner's deadline would stop it
    assert set(delays) == {0.0}
    assert clock.now == 0.0


def test_naive_opens_a_connection_per_attempt_and_ignores_retry_after():
    naive, fixed = Profile(parse_policy({"name": "naive"})), Profile(parse_policy({"name": "fixed"}))
    assert (naive.reuses_connections, naive.respects_retry_after) == (False, False)
    assert (fixed.reuses_connections, fixed.respects_retry_after) == (True, True)
    # a profile's own setting wins over what the policy implies
    assert Profile(naive.policy, reuse_connections=True, respect_retry_after=True).reuses_connections


@pytest.mark.parametrize("max_attempts", [1, 3, 7])
def test_fixed_stops_after_exactly_max_attempts(max_attempts):
    clock = FakeClock()
    fixed = policy("fixed", {"max_attempts": max_attempts, "delay_seconds": 0.25}, clock)
    attempts, delays, end = run(fixed, always(Outcome(SERVER_ERROR, 500)), clock)
    assert (attempts, end) == (max_attempts, ATTEMPTS_EXHAUSTED)
    assert delays == [0.25] * (max_attempts - 1)


def test_fixed_defaults_to_three_attempts_one_second_apart():
    clock = FakeClock()
    assert run(policy("fixed", clock=clock), always(FAIL), clock) == (3, [1.0, 1.0], ATTEMPTS_EXHAUSTED)


def test_a_success_ends_the_retries():
    clock = FakeClock()
    outcomes = lambda attempt: OK if attempt == 2 else FAIL  # noqa: E731
    assert run(policy("fixed", clock=clock), outcomes, clock) == (2, [1.0], SUCCESS)


def test_exponential_doubles_from_base_up_to_the_cap():
    clock = FakeClock()
    exponential = policy("exponential", {"max_attempts": 8, "base_seconds": 0.1, "cap_seconds": 1.0}, clock)
    attempts, delays, end = run(exponential, always(FAIL), clock)
    assert (attempts, end) == (8, ATTEMPTS_EXHAUSTED)
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])


def test_exponential_multiplier_and_default_attempts():
    clock = FakeClock()
    exponential = policy("exponential", {"base_seconds": 0.5, "multiplier": 3}, clock)
    assert run(exponential, always(FAIL), clock) == (3, pytest.approx([0.5, 1.5]), ATTEMPTS_EXHAUSTED)


def test_exponential_saturates_at_the_cap_for_huge_attempt_numbers():
    exponential = policy("exponential", {"max_attempts": 100, "cap_seconds": 7.0})
    assert exponential.backoff(99, FAIL) == 7.0
