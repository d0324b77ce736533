"""circuit-breaker: closed -> open -> half-open -> closed, and half-open -> open, on a fake
clock; open refuses first tries too; stale outcomes do not move it."""

import random

from loadgen.policies import make_policy
from loadgen.policies.base import BREAKER_OPEN, CLIENT_ERROR, SHED, SUCCESS, TIMEOUT, Outcome
from stormlab_common.contracts.policies import parse_policy

OK = Outcome(SUCCESS)
FAIL = Outcome(TIMEOUT)
CLOSED = {"breaker_open": 0.0, "breaker_half_open": 0.0}
OPEN = {"breaker_open": 1.0, "breaker_half_open": 0.0}
HALF_OPEN = {"breaker_open": 0.0, "breaker_half_open": 1.0}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def breaker(clock, **params):
    settings = {"min_requests": 4, "failure_ratio": 0.5, "window_seconds": 10, "open_seconds": 5, **params}
    return make_policy(parse_policy({"name": "circuit-breaker", **settings}), random.Random(1), clock)


def attempt(policy, outcome):
    """One first try through its own request view: the refusal, or None once recorded."""
    request = policy.for_request()
    refusal = request.admit(1)
    if refusal is None:
        request.record(1, outcome)
    return refusal


def position(policy):
    state = policy.state()
    return {"breaker_open": state["breaker_open"], "breaker_half_open": state["breaker_half_open"]}


def tripped(clock, **params):
    policy = breaker(clock, **params)
    for outcome in (OK, FAIL, OK, FAIL):
        assert attempt(policy, outcome) is None
    assert position(policy) == OPEN
    return policy


def test_it_stays_closed_below_min_requests_even_if_everything_fails():
    policy = breaker(FakeClock())
    for _ in range(3):
        assert attempt(policy, FAIL) is None
    assert position(policy) == CLOSED
    assert policy.state()["failure_ratio"] == 1.0


def test_it_stays_closed_below_the_failure_ratio():
    policy = breaker(FakeClock())
    for outcome in (OK, OK, FAIL, OK, OK, Outcome(CLIENT_ERROR, 404), FAIL):  # 2 of 7 < 0.5
        assert attempt(policy, outcome) is None
    assert position(policy) == CLOSED


def test_it_opens_at_the_ratio_and_refuses_every_attempt_for_open_seconds():
    clock = FakeClock()
    policy = tripped(clock)
    request = policy.for_request()
    assert request.admit(1) == BREAKER_OPEN  # first tries too
    assert request.admit(2) == BREAKER_OPEN
    clock.now = 4.99
    assert attempt(policy, OK) == BREAKER_OPEN
    assert position(policy) == OPEN


def test_half_open_lets_the_probes_through_and_a_probe_success_closes_it():
    clock = FakeClock()
    policy = tripped(clock, half_open_probes=2)
    clock.now = 5.0
    assert position(policy) == HALF_OPEN
    first, second, third = (policy.for_request() for _ in range(3))
    assert first.admit(1) is None
    assert second.admit(1) is None
    assert third.admit(1) == BREAKER_OPEN  # only two probes
    first.record(1, OK)
    assert position(policy) == CLOSED
    assert policy.state()["failure_ratio"] == 0.0  # a fresh window
    second.record(1, FAIL)  # the other probe reports late: the breaker has moved on
    assert position(policy) == CLOSED
    for _ in range(3):  # old failures are gone: it takes min_requests new outcomes to trip
        assert attempt(policy, FAIL) is None
    assert position(policy) == CLOSED


def test_a_probe_failure_opens_it_again_for_open_seconds():
    clock = FakeClock()
    policy = tripped(clock)
    clock.now = 6.0
    assert attempt(policy, Outcome(SHED, 503)) is None
    assert position(policy) == OPEN
    clock.now = 10.99
    assert attempt(policy, OK) == BREAKER_OPEN
    clock.now = 11.0
    assert attempt(policy, OK) is None
    assert position(policy) == CLOSED


def test_a_probe_that_never_reports_does_not_hold_it_half_open_for_good():
    clock = FakeClock()
    policy = tripped(clock)
    clock.now = 5.0
    assert policy.for_request().admit(1) is None  # admitted, never sent nor recorded
    assert attempt(policy, OK) == BREAKER_OPEN
    clock.now = 10.0
    assert attempt(policy, OK) is None
    assert position(policy) == CLOSED


def test_outcomes_of_attempts_sent_before_it_opened_do_not_close_it():
    clock = FakeClock()
    policy = breaker(clock)
    slow = policy.for_request()
    assert slow.admit(1) is None
    for outcome in (FAIL, FAIL, FAIL, FAIL):
        attempt(policy, outcome)
    clock.now = 5.0
    assert position(policy) == HALF_OPEN
    slow.record(1, OK)
    assert position(policy) == HALF_OPEN


def test_failures_older_than_the_window_do_not_count():
    clock = FakeClock()
    policy = breaker(clock)
    for _ in range(3):
        attempt(policy, FAIL)
    clock.now = 10.0
    attempt(policy, FAIL)
    assert position(policy) == CLOSED
    for _ in range(3):
        attempt(policy, FAIL)
    assert position(policy) == OPEN


def test_retries_when_closed_use_full_jitter_and_three_attempts():
    request = breaker(FakeClock()).for_request()
    first, second, third = (request.backoff(n, FAIL) for n in (1, 2, 3))
    assert 0 <= first <= 0.1 and 0 <= second <= 0.2 and third is None
