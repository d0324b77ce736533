"""adaptive: the SRE book's client-side throttling, max(0, (requests - K*accepts) / (requests + 1)),
over a sliding window on a fake clock."""

import random

import pytest

from loadgen.policies import make_policy
from loadgen.policies.base import (
    CLIENT_ERROR,
    CONNECT_ERROR,
    RESET,
    SERVER_ERROR,
    SHED,
    SUCCESS,
    THROTTLED_LOCALLY,
    TIMEOUT,
    Outcome,
)
from stormlab_common.contracts.policies import parse_policy


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def adaptive(clock=None, seed=1, **params):
    return make_policy(parse_policy({"name": "adaptive", **params}), random.Random(seed), clock or FakeClock())


def probability(requests, accepts, k=2):
    return max(0.0, (requests - k * accepts) / (requests + 1))


def test_a_new_client_never_rejects_and_a_healthy_one_stays_that_way():
    policy = adaptive()
    assert policy.state() == {"reject_probability": 0.0}
    for _ in range(1000):
        assert policy.admit(1) is None
        policy.record(1, Outcome(SUCCESS))
    assert policy.state() == {"reject_probability": 0.0}


def test_the_probability_counts_every_attempt_asked_for_including_rejected_ones():
    policy = adaptive()
    refusals = [policy.admit(1) for _ in range(10)]
    assert THROTTLED_LOCALLY in refusals  # without accepts, rejection starts at once
    for _ in range(2):
        policy.record(1, Outcome(SUCCESS))
    assert policy.state() == {"reject_probability": pytest.approx(probability(10, 2))}


@pytest.mark.parametrize(("kind", "accepted"), [
    (SUCCESS, True), (CLIENT_ERROR, True), (SERVER_ERROR, True),
    (SHED, False), (TIMEOUT, False), (CONNECT_ERROR, False), (RESET, False),
])
def test_which_outcomes_are_accepts(kind, accepted):
    policy = adaptive()
    for _ in range(20):
        policy.admit(1)
    for _ in range(5):
        policy.record(1, Outcome(kind))
    assert policy.state()["reject_probability"] == pytest.approx(probability(20, 5 if accepted else 0))


def test_each_decision_is_a_draw_against_the_formula_before_counting_the_attempt():
    """Replays the client's stream: a draw only when the probability is above zero."""
    policy, draws = adaptive(seed=11), random.Random(11)
    accepts = 0
    outcomes = random.Random(5)
    for requests in range(2000):  # asked for before this one
        p = probability(requests, accepts)
        expected = THROTTLED_LOCALLY if p > 0 and draws.random() < p else None
        assert policy.admit(1) == expected
        if expected is None and outcomes.random() < 0.3:  # the backend accepts 30% of what it gets
            policy.record(1, Outcome(SUCCESS))
            accepts += 1


def test_the_rejection_rate_follows_the_probability():
    policy = adaptive(k=1.5)
    for _ in range(10000):
        policy.admit(1)
    for _ in range(2000):
        policy.record(1, Outcome(SUCCESS))
    expected = probability(10000, 2000, k=1.5)  # ~0.7, and barely moves over 2000 more
    rejected = sum(policy.admit(1) == THROTTLED_LOCALLY for _ in range(2000))
    assert rejected / 2000 == pytest.approx(expected, abs=0.04)


def test_the_window_slides():
    clock = FakeClock()
    policy = adaptive(clock, window_seconds=120)
    for _ in range(50):
        policy.admit(1)
    clock.now = 60.0
    for _ in range(50):
        policy.admit(1)
    policy.record(1, Outcome(SUCCESS))
    assert policy.state()["reject_probability"] == pytest.approx(probability(100, 1))
    clock.now = 120.0  # the first 50 have left; the 50 requests and the accept at 60 s remain
    assert policy.state()["reject_probability"] == pytest.approx(probability(50, 1))
    clock.now = 180.0
    assert policy.state() == {"reject_probability": 0.0}
    assert policy.admit(1) is None


def test_retries_use_full_jitter_and_three_attempts():
    policy = adaptive()
    first, second, third = (policy.backoff(n, Outcome(SHED, 503)) for n in (1, 2, 3))
    assert 0 <= first <= 0.1 and 0 <= second <= 0.2 and third is None
