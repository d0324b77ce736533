"""The model's retry policies do what their namesakes in loadgen/policies/ do."""

import random

import pytest

from model.policies import POLICIES, make_policy
from stormlab_common.contracts.policies import (
    POLICY_PARAMS,
    AdaptiveParams,
    CircuitBreakerParams,
    ExponentialParams,
    FixedParams,
    FullJitterParams,
    NaiveParams,
    RetryBudgetParams,
)

RNG = random.Random(1)


def test_every_policy_of_the_contract_has_a_model():
    assert set(POLICIES) == set(POLICY_PARAMS)


def test_naive_retries_at_once_forever():
    policy = make_policy(NaiveParams(), RNG)
    assert [policy.backoff(n, "timeout", RNG) for n in (1, 10, 100)] == [0.0, 0.0, 0.0]


def test_fixed_stops_after_max_attempts():
    policy = make_policy(FixedParams(max_attempts=3, delay_seconds=0.5), RNG)
    assert [policy.backoff(n, "timeout", RNG) for n in (1, 2, 3)] == [0.5, 0.5, None]


def test_exponential_doubles_to_its_cap():
    policy = make_policy(ExponentialParams(max_attempts=5, base_seconds=0.5, cap_seconds=1.5), RNG)
    assert [policy.backoff(n, "timeout", RNG) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 1.5, 1.5, None]


def test_full_jitter_draws_below_the_exponential_delay():
    policy = make_policy(FullJitterParams(max_attempts=3, base_seconds=0.5), RNG)
    draws = [policy.backoff(2, "timeout", RNG) for _ in range(200)]
    assert min(draws) >= 0 and max(draws) <= 1.0 and 0.4 < sum(draws) / 200 < 0.6


def test_ratio_budget_allows_a_tenth_of_first_tries_as_retries():
    policy = make_policy(RetryBudgetParams(mode="ratio", ratio=0.1), RNG)
    sent = 0
    for index in range(100):
        now = index * 0.05  # 100 first tries within 5 s, each wanting a retry
        view = policy.for_request()
        assert view.admit(1, now) is None
        sent += view.admit(2, now) is None
    assert 9 <= sent <= 10


def test_token_budget_runs_dry():
    policy = make_policy(RetryBudgetParams(), RNG)  # 500 tokens, 10 a retry after a timeout
    allowed = 0
    for _ in range(100):
        view = policy.for_request()
        view.admit(1, 0.0)
        view.record(1, "timeout", 0.0)
        view.backoff(1, "timeout", RNG)
        allowed += view.admit(2, 0.0) is None
    assert allowed == 50


def test_breaker_opens_on_failures_refuses_then_probes():
    params = CircuitBreakerParams(min_requests=5, open_seconds=5.0)
    policy = make_policy(params, RNG)
    for index in range(5):
        view = policy.for_request()
        assert view.admit(1, index * 0.1) is None
        view.record(1, "timeout", index * 0.1)
    assert policy.for_request().admit(1, 1.0) == "breaker_open"
    probe = policy.for_request()
    assert probe.admit(1, 5.5) is None  # half-open: one probe
    assert policy.for_request().admit(1, 5.5) == "breaker_open"
    probe.record(1, "success", 5.6)
    assert policy.for_request().admit(1, 5.7) is None  # closed again


def test_adaptive_rejects_most_when_nothing_is_accepted():
    policy = make_policy(AdaptiveParams(k=2, window_seconds=6), random.Random(3))
    refused = 0
    for index in range(200):
        now = index * 0.02
        view = policy.for_request()
        if view.admit(1, now) is None:
            view.record(1, "timeout", now)
        else:
            refused += 1
    assert refused > 150


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_each_policy_gives_up_or_waits_a_number_of_seconds(name):
    policy = make_policy(POLICY_PARAMS[name](), random.Random(2))
    delay = policy.for_request().backoff(1, "timeout", random.Random(2))
    assert delay is None or delay >= 0
