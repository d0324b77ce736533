"""One logical request: its attempts, as its client's retry policy directs, until it succeeds
within its deadline or gives up (the loop is spelled out in loadgen/policies/base.py).

Every attempt carries ``X-Attempt`` (1 = the first try) and ``X-Deadline-Ms`` (what the client
will still wait), so services can prefer first tries and drop work nobody waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from loadgen.attempt_cap import AttemptCap
from loadgen.metrics import ClientMetrics, Series
from loadgen.policies.base import (
    ATTEMPTS_EXHAUSTED,
    DEADLINE_EXCEEDED,
    NOT_RETRYABLE,
    RetryPolicy,
)
from loadgen.transport import Sent, Transport
from stormlab_common.contracts.loadgen import Call, Profile

SUCCESS, FAILURE = "success", "failure"


@dataclass(eq=False)  # one per client, compared (and kept in sets) by identity
class ClientContext:
    """What the runner needs from the simulated client sending the request."""

    profile: Profile
    policy: RetryPolicy
    transport: Transport
    respect_retry_after: bool
    metrics: ClientMetrics
    cap: AttemptCap
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    on_attempt: Callable[[str, Call, int, Sent], None] = lambda name, call, attempt, sent: None
    on_send: Callable[[int], None] = lambda attempt: None  # as each attempt goes: when it was sent

    @property
    def policy_name(self) -> str:
        return self.profile.policy_name


def run_logical_request(name: str, call: Call, path: str, body: bytes | None,
                        client: ClientContext) -> tuple[str, Sent | None]:
    """Run it to its end; return SUCCESS or the reason it gave up, and its last attempt.
    ``name``: the call's, in the workload (locust's statistics count attempts under it)."""
    series = client.metrics.series(client.policy_name, call.target)
    started = client.clock()
    deadline = started + client.profile.deadline_seconds
    series.started.inc()
    series.in_flight.inc()
    try:
        result, last = _attempts(name, call, path, body, client, deadline, series)
    finally:
        series.in_flight.dec()
        series.request_duration.observe(client.clock() - started)
    if result == SUCCESS:
        series.finished(SUCCESS).inc()
    else:
        series.finished(FAILURE).inc()
        series.give_ups(result).inc()
    return result, last


def _attempts(name: str, call: Call, path: str, body: bytes | None, client: ClientContext,
              deadline: float, series: Series) -> tuple[str, Sent | None]:
    policy = client.policy.for_request()  # its view for this request; budgets stay client-wide
    attempt, sent = 1, None
    while True:
        refusal = policy.admit(attempt)
        if refusal is not None:
            return refusal, sent
        client.cap.acquire()
        remaining = deadline - client.clock()
        if remaining <= 0:
            return DEADLINE_EXCEEDED, sent
        headers = {"X-Attempt": str(attempt), "X-Deadline-Ms": str(int(remaining * 1000))}
        client.on_send(attempt)
        sent = client.transport.send(call.target, call.method, path, headers, body,
                                     min(client.profile.attempt_timeout_seconds, remaining))
        outcome = sent.outcome
        policy.record(attempt, outcome)
        series.attempts(outcome.kind).inc()
        series.attempt_duration.observe(sent.seconds)
        if attempt > 1:
            series.retries.inc()
        client.on_attempt(name, call, attempt, sent)
        if outcome.ok:
            # the attempt's timeout stops at the deadline, so this is a safeguard: an answer
            # the client no longer waited for is not goodput
            return (SUCCESS if client.clock() <= deadline else DEADLINE_EXCEEDED), sent
        if not outcome.retryable:
            return NOT_RETRYABLE, sent
        delay = policy.backoff(attempt, outcome)
        if delay is None:
            return ATTEMPTS_EXHAUSTED, sent
        if client.respect_retry_after and outcome.retry_after:
            delay = max(delay, outcome.retry_after)
        if client.clock() + delay >= deadline:
            return DEADLINE_EXCEEDED, sent
        client.sleep(delay)  # even 0: an immediate retry still lets the process's other requests run
        attempt += 1
