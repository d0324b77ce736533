"""The logical-request runner against a fake transport and a fake clock: attempts, headers,
deadlines, give-up reasons and metrics, for whatever a policy decides."""

from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry

from loadgen.attempt_cap import AttemptCap
from loadgen.attempt_timeline import AttemptTimeline
from loadgen.logical_request import SUCCESS, ClientContext, run_logical_request
from loadgen.metrics import ClientMetrics
from loadgen.policies.base import (
    ATTEMPTS_EXHAUSTED,
    BUDGET_EXHAUSTED,
    CLIENT_ERROR,
    DEADLINE_EXCEEDED,
    NOT_RETRYABLE,
    SHED,
    TIMEOUT,
    Outcome,
    RetryPolicy,
)
from loadgen.transport import Sent
from stormlab_common.contracts.loadgen import Call, Profile

CALL = Call("api", "/v1/work", keys=1)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class ScriptedTransport:
    """Answers attempts from a script of (outcome, seconds); records what was sent."""

    def __init__(self, clock, script):
        self.clock, self.script, self.sent = clock, list(script), []

    def send(self, target, method, path, headers, body, timeout_seconds):
        outcome, seconds = self.script.pop(0)
        seconds = min(seconds, timeout_seconds)
        self.sent.append({"headers": headers, "timeout": timeout_seconds})
        self.clock.now += seconds
        return Sent(outcome if seconds < timeout_seconds else Outcome(TIMEOUT), seconds)


class RetryTwiceAfter(RetryPolicy):
    name = "test-fixed"

    def __init__(self, delay=0.5, attempts=3, refuse_from=None):
        super().__init__({}, None, None)
        self.delay, self.attempts, self.refuse_from, self.recorded = delay, attempts, refuse_from, []

    def admit(self, attempt):
        return BUDGET_EXHAUSTED if self.refuse_from and attempt >= self.refuse_from else None

    def backoff(self, attempt, outcome):
        return self.delay if attempt < self.attempts else None

    def record(self, attempt, outcome):
        self.recorded.append((attempt, outcome.kind))


def client(script, policy, deadline=5.0, attempt_timeout=1.0, respect_retry_after=True):
    clock = FakeClock()
    registry = CollectorRegistry()
    profile = Profile(SimpleNamespace(name="test-fixed"), attempt_timeout_seconds=attempt_timeout,
                      deadline_seconds=deadline, reuse_connections=True, respect_retry_after=respect_retry_after)
    transport = ScriptedTransport(clock, script)
    context = ClientContext(profile, policy, transport, respect_retry_after, ClientMetrics(registry),
                            AttemptCap(1e9, clock, clock.sleep), clock, clock.sleep)
    return context, transport, clock, registry


def value(registry, name, **labels):
    return registry.get_sample_value(name, {"policy": "test-fixed", "target": "api", **labels}) or 0


def test_retries_until_success_with_attempt_and_deadline_headers():
    policy = RetryTwiceAfter()
    context, transport, clock, registry = client(
        [(Outcome(SHED, 503), 0.1), (Outcome(SHED, 503), 0.1), (Outcome("success", 200), 0.2)], policy)
    result, last = run_logical_request("work", CALL, "/v1/work", None, context)
    assert result == SUCCESS and last.outcome.ok
    assert [s["headers"]["X-Attempt"] for s in transport.sent] == ["1", "2", "3"]
    # 5 s deadline: 5000 ms left at first, then minus 0.1 s answer + 0.5 s backoff each time
    assert [s["headers"]["X-Deadline-Ms"] for s in transport.sent] == ["5000", "4400", "3800"]
    assert policy.recorded == [(1, SHED), (2, SHED), (3, "success")]
    assert value(registry, "stormlab_client_attempts_total", outcome="shed") == 2
    assert value(registry, "stormlab_client_retries_total") == 2
    assert value(registry, "stormlab_client_requests_total", outcome="success") == 1
    assert value(registry, "stormlab_client_request_duration_seconds_sum") == clock.now - 100.0
    assert value(registry, "stormlab_client_in_flight_requests") == 0


def test_gives_up_when_the_policy_says_so():
    context, transport, _, registry = client([(Outcome(SHED, 503), 0.1)] * 3, RetryTwiceAfter())
    assert run_logical_request("work", CALL, "/", None, context)[0] == ATTEMPTS_EXHAUSTED
    assert len(transport.sent) == 3
    assert value(registry, "stormlab_client_give_ups_total", reason=ATTEMPTS_EXHAUSTED) == 1
    assert value(registry, "stormlab_client_requests_total", outcome="failure") == 1


def test_a_refused_attempt_is_not_sent():
    policy = RetryTwiceAfter(refuse_from=2)
    context, transport, _, registry = client([(Outcome(SHED, 503), 0.1)], policy)
    assert run_logical_request("work", CALL, "/", None, context)[0] == BUDGET_EXHAUSTED
    assert len(transport.sent) == 1 and policy.recorded == [(1, SHED)]
    assert value(registry, "stormlab_client_give_ups_total", reason=BUDGET_EXHAUSTED) == 1


def test_errors_retrying_cannot_fix_end_at_once():
    context, transport, _, _ = client([(Outcome(CLIENT_ERROR, 404), 0.01)], RetryTwiceAfter())
    assert run_logical_request("work", CALL, "/", None, context)[0] == NOT_RETRYABLE
    assert len(transport.sent) == 1


def test_attempt_timeouts_shrink_to_the_deadline_and_it_is_enforced():
    # each attempt times out after 1 s; immediate retries; a 2.5 s deadline allows 3 attempts
    policy = RetryTwiceAfter(delay=0.0, attempts=100)
    context, transport, clock, _ = client([(Outcome("success"), 10.0)] * 10, policy, deadline=2.5)
    assert run_logical_request("work", CALL, "/", None, context)[0] == DEADLINE_EXCEEDED
    assert [s["timeout"] for s in transport.sent] == [1.0, 1.0, 0.5]
    assert clock.now - 100.0 == pytest.approx(2.5)


def test_retry_after_is_respected_or_not():
    for respect, expected_gap in [(True, 2.0), (False, 0.5)]:
        policy = RetryTwiceAfter(delay=0.5)
        context, _transport, clock, _ = client(
            [(Outcome(SHED, 503, retry_after=2.0), 0.0), (Outcome("success"), 0.0)], policy,
            respect_retry_after=respect)
        run_logical_request("work", CALL, "/", None, context)
        assert clock.now - 100.0 == pytest.approx(expected_gap)


def test_a_backoff_past_the_deadline_gives_up_without_waiting():
    policy = RetryTwiceAfter(delay=10.0)
    context, _transport, clock, _ = client([(Outcome(SHED, 503), 0.1)], policy)
    assert run_logical_request("work", CALL, "/", None, context)[0] == DEADLINE_EXCEEDED
    assert clock.now - 100.0 == pytest.approx(0.1)  # gave up at once, did not sleep 10 s


def test_each_attempt_is_recorded_as_it_is_sent_in_its_slot():
    policy = RetryTwiceAfter(delay=0.5)
    context, transport, clock, _ = client(
        [(Outcome(SHED, 503), 0.1), (Outcome(SHED, 503), 0.1), (Outcome("success", 200), 0.2)], policy)
    timeline = AttemptTimeline(clock)  # the fake clock stands for the wall clock too
    sends = []

    def on_send(attempt):
        sends.append((attempt, clock.now, len(transport.sent)))  # before its request goes
        timeline.record(attempt)

    context.on_send = on_send
    assert run_logical_request("work", CALL, "/", None, context)[0] == SUCCESS
    # sent at 100.0, then after 0.1 s answers and 0.5 s backoffs: 100.6 and 101.2
    assert [(a, round(at, 3), before) for a, at, before in sends] == [(1, 100.0, 0), (2, 100.6, 1), (3, 101.2, 2)]
    slots = {start: (first, retries) for start, first, retries in timeline.window(100.0, 101.5) if first or retries}
    assert slots == {100.0: (1, 0), 100.6: (0, 1), 101.2: (0, 1)}


def test_an_attempt_never_sent_is_not_recorded():
    policy = RetryTwiceAfter(refuse_from=2)  # the second attempt is refused by the policy
    context, _, _, _ = client([(Outcome(SHED, 503), 0.1)], policy)
    sends = []
    context.on_send = sends.append
    run_logical_request("work", CALL, "/", None, context)
    assert sends == [1]
    context, _, clock, _ = client([(Outcome(SHED, 503), 0.1)] * 2, RetryTwiceAfter(delay=0.0), deadline=1.0)
    context.cap = AttemptCap(1.0, clock, clock.sleep)  # the second attempt waits out the deadline
    sends = []
    context.on_send = sends.append
    assert run_logical_request("work", CALL, "/", None, context)[0] == DEADLINE_EXCEEDED
    assert sends == [1]
