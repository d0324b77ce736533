"""retry-budget: the AWS SDK standard-mode token quota and the SRE book's retry ratio, with
exhaustion, refill and per-request costs, on a fake clock."""

import random

import pytest

from loadgen.policies import make_policy
from loadgen.policies.base import (
    BUDGET_EXHAUSTED,
    CONNECT_ERROR,
    SERVER_ERROR,
    SHED,
    SUCCESS,
    TIMEOUT,
    Outcome,
)
from stormlab_common.contracts.policies import parse_policy

OK = Outcome(SUCCESS)
ERROR_500 = Outcome(SERVER_ERROR, 500)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def budget(params=None, clock=None):
    return make_policy(parse_policy({"name": "retry-budget", **(params or {})}), random.Random(1), clock or FakeClock())


def failed_first_try(policy, outcome=ERROR_500):
    """A new request whose first try failed with ``outcome``; ready for admit(2)."""
    request = policy.for_request()
    assert request.admit(1) is None
    request.record(1, outcome)
    assert request.backoff(1, outcome) is not None
    return request


def retries_admitted(policy, outcome, limit=1000):
    """Requests that fail their first try with ``outcome`` until a retry is refused."""
    for admitted in range(limit):
        if failed_first_try(policy, outcome).admit(2) == BUDGET_EXHAUSTED:
            return admitted
    raise AssertionError("the budget never ran out")


# tokens mode (the default)

def test_a_full_quota_pays_for_a_hundred_retries_then_refuses():
    tokens = budget()
    assert tokens.state() == {"tokens": 500}
    assert retries_admitted(tokens, Outcome(SERVER_ERROR, 500)) == 100  # 500 / 5
    assert tokens.state() == {"tokens": 0}


def test_a_retry_after_a_timeout_costs_ten():
    assert retries_admitted(budget(), Outcome(TIMEOUT)) == 50
    assert retries_admitted(budget(), Outcome(SHED, 503)) == 100
    assert retries_admitted(budget(), Outcome(CONNECT_ERROR)) == 100


def test_first_tries_are_never_refused():
    tokens = budget()
    retries_admitted(tokens, Outcome(TIMEOUT))
    assert tokens.state() == {"tokens": 0}
    assert all(tokens.for_request().admit(1) is None for _ in range(100))


def test_first_try_successes_refill_one_token_each_up_to_the_quota():
    tokens = budget({"quota": 20})
    for _ in range(10):
        tokens.for_request().record(1, OK)
    assert tokens.state() == {"tokens": 20}  # never above the quota
    retries_admitted(tokens, Outcome(SERVER_ERROR, 500))
    assert tokens.state() == {"tokens": 0}
    for _ in range(4):
        request = tokens.for_request()
        request.admit(1)
        request.record(1, OK)
    assert tokens.state() == {"tokens": 4}
    assert failed_first_try(tokens).admit(2) == BUDGET_EXHAUSTED  # a retry needs 5
    request = tokens.for_request()
    request.admit(1)
    request.record(1, OK)
    assert failed_first_try(tokens).admit(2) is None
    assert tokens.state() == {"tokens": 0}


def test_a_successful_retry_gives_back_what_it_took():
    """botocore: a success after retries releases its last acquisition, not 1."""
    tokens = budget()
    request = failed_first_try(tokens, Outcome(TIMEOUT))
    assert request.admit(2) is None
    assert tokens.state() == {"tokens": 490}
    request.record(2, OK)
    assert tokens.state() == {"tokens": 500}


def test_each_request_pays_for_its_own_failure():
    tokens = budget()
    timed_out = failed_first_try(tokens, Outcome(TIMEOUT))
    shed = failed_first_try(tokens, Outcome(SHED, 429))
    assert shed.admit(2) is None
    assert tokens.state() == {"tokens": 495}
    assert timed_out.admit(2) is None
    assert tokens.state() == {"tokens": 485}


def test_costs_are_configurable():
    tokens = budget({"quota": 100, "retry_cost": 1, "timeout_retry_cost": 50})
    assert retries_admitted(tokens, Outcome(TIMEOUT)) == 2
    assert retries_admitted(budget({"quota": 100, "retry_cost": 1}), Outcome(SHED, 503)) == 100


# ratio mode

def ratio(params=None, clock=None):
    return budget({"mode": "ratio", **(params or {})}, clock)


def test_ratio_allows_a_tenth_of_the_first_tries_as_retries():
    policy = ratio()
    assert policy.state() == {"retry_allowance": 0}
    requests = [failed_first_try(policy) for _ in range(100)]
    assert policy.state() == {"retry_allowance": pytest.approx(10)}
    assert [r.admit(2) for r in requests[:11]] == [None] * 10 + [BUDGET_EXHAUSTED]
    assert policy.state() == {"retry_allowance": pytest.approx(0)}
    assert all(policy.for_request().admit(1) is None for _ in range(10))  # first tries always go


def test_retries_never_exceed_the_ratio():
    policy = ratio({"ratio": 0.25})
    retried = 0
    for sent in range(1, 401):
        request = failed_first_try(policy)
        retried += request.admit(2) is None
        assert retried <= 0.25 * sent
    assert retried == 100


def test_the_ratio_window_slides_and_the_budget_refills():
    clock = FakeClock()
    policy = ratio({"window_seconds": 10}, clock)
    requests = [failed_first_try(policy) for _ in range(50)]
    assert [r.admit(2) for r in requests[:6]] == [None] * 5 + [BUDGET_EXHAUSTED]
    clock.now = 9.5
    assert failed_first_try(policy).admit(2) == BUDGET_EXHAUSTED  # still the same window
    clock.now = 10.0  # what happened at t=0 has left the window; the try at 9.5 has not
    assert policy.state() == {"retry_allowance": pytest.approx(0.1)}
    assert failed_first_try(policy).admit(2) == BUDGET_EXHAUSTED
    requests = [failed_first_try(policy) for _ in range(18)]  # 20 first tries in the window
    assert [r.admit(2) for r in requests[:3]] == [None, None, BUDGET_EXHAUSTED]


def test_the_floor_allows_retries_whatever_the_ratio():
    clock = FakeClock()
    policy = ratio({"min_retries_per_second": 1, "window_seconds": 5}, clock)
    assert policy.state() == {"retry_allowance": 5}
    assert retries_admitted(policy, Outcome(TIMEOUT)) == 5  # 5 first tries add only 0.5
    clock.now = 5.0
    assert retries_admitted(policy, Outcome(TIMEOUT)) == 5


def test_views_share_one_budget():
    tokens = budget({"quota": 10})
    failed_first_try(tokens).admit(2)
    failed_first_try(tokens).admit(2)
    assert tokens.state() == {"tokens": 0}
    assert tokens.for_request().state() == {"tokens": 0}
