"""Every registered policy driven through the real runner with a fake transport that always
sheds (503) and a fake clock: how many attempts one logical request makes, and how a
client's budget, breaker or throttle changes that over many requests."""

import random

import pytest
from prometheus_client import CollectorRegistry

from loadgen.attempt_cap import AttemptCap
from loadgen.logical_request import ClientContext, run_logical_request
from loadgen.metrics import ClientMetrics
from loadgen.policies import POLICIES, make_policy
from loadgen.policies.base import SHED, Outcome
from loadgen.transport import Sent
from stormlab_common.contracts.loadgen import Call, Profile
from stormlab_common.contracts.policies import parse_policy

CALL = Call("api", "/", keys=1)
ATTEMPT_SECONDS = 0.05  # each shed answer takes 50 ms
DEADLINE = 2.0


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class AlwaysShed:
    def __init__(self, clock):
        self.clock, self.sent = clock, 0

    def send(self, *args):
        self.sent += 1
        self.clock.now += ATTEMPT_SECONDS
        return Sent(Outcome(SHED, 503), ATTEMPT_SECONDS)

    def close(self):
        pass


def client_for(name, params=None, deadline=DEADLINE):
    clock = Clock()
    params = parse_policy({"name": name, **(params or {})})
    policy = make_policy(params, random.Random(7), clock)
    transport = AlwaysShed(clock)
    profile = Profile(params, deadline_seconds=deadline, reuse_connections=True, respect_retry_after=False)
    context = ClientContext(profile, policy, transport, False, ClientMetrics(CollectorRegistry()),
                            AttemptCap(1e9, clock, clock.sleep), clock, clock.sleep)
    return context, transport, clock


@pytest.mark.parametrize("name,attempts", [
    ("none", 1), ("fixed", 3), ("exponential", 3), ("full-jitter", 3), ("equal-jitter", 3),
    ("decorrelated-jitter", 3), ("retry-budget", 3), ("circuit-breaker", 3)])
def test_a_failing_request_makes_the_policys_attempts(name, attempts):
    context, transport, _ = client_for(name, deadline=120.0)  # no deadline in the way
    assert run_logical_request("work", CALL, "/", None, context)[0] == "attempts_exhausted"
    assert transport.sent == attempts


def test_adaptive_may_refuse_a_fresh_clients_retry():
    # after one attempt the backend did not accept: p = (1 - 2*0) / (1 + 1) = 0.5
    sent = []
    for seed in range(40):
        clock = Clock()
        params = parse_policy({"name": "adaptive"})
        policy = make_policy(params, random.Random(seed), clock)
        transport = AlwaysShed(clock)
        profile = Profile(params, deadline_seconds=120.0, reuse_connections=True, respect_retry_after=False)
        context = ClientContext(profile, policy, transport, False, ClientMetrics(CollectorRegistry()),
                                AttemptCap(1e9, clock, clock.sleep), clock, clock.sleep)
        run_logical_request("work", CALL, "/", None, context)
        sent.append(transport.sent)
    assert max(sent) <= 3 and min(sent) == 1 and 1 in sent and 3 in sent


def test_a_deadline_cuts_slow_retries_short():
    context, transport, _ = client_for("fixed")  # 1 s between attempts, 2 s deadline
    assert run_logical_request("work", CALL, "/", None, context)[0] == "deadline_exceeded"
    assert transport.sent == 2


def test_naive_retries_until_the_deadline():
    context, transport, clock = client_for("naive")
    assert run_logical_request("work", CALL, "/", None, context)[0] == "deadline_exceeded"
    assert transport.sent == round(DEADLINE / ATTEMPT_SECONDS)  # back to back, no cap
    assert clock.now == pytest.approx(DEADLINE)


def test_every_policy_is_covered_here():
    assert set(POLICIES) == {"none", "naive", "fixed", "exponential", "full-jitter", "equal-jitter",
                             "decorrelated-jitter", "retry-budget", "circuit-breaker", "adaptive"}


@pytest.mark.parametrize("name,params,floor", [
    # 500 tokens, 5 per retry: 100 retries, then first tries only
    ("retry-budget", {"mode": "tokens"}, "budget_exhausted"),
    ("circuit-breaker", {"min_requests": 10}, "breaker_open"),
    ("adaptive", {"window_seconds": 60}, "throttled_locally"),
])
def test_client_wide_mechanisms_bring_attempts_per_request_down(name, params, floor):
    context, transport, clock = client_for(name, params)
    results = []
    for _ in range(300):  # a sustained overload: every answer is a 503
        results.append(run_logical_request("work", CALL, "/", None, context)[0])
        clock.now += 0.1
    late = transport.sent  # attempts over the 300 requests
    assert floor in results
    # a retrying client would make 3 attempts per request; these make far fewer
    assert late / 300 < 1.6
