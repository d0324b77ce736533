"""What a retry policy is: one small class per policy, registered by name, configured by its
parameter class in the contract (stormlab_common/contracts/policies.py), and consulted by
the logical-request runner at three moments.

The runner (loadgen/logical_request.py) does, for one logical request:

    attempt = 1
    loop:
        refusal = policy.admit(attempt)             # local gate: budget, breaker, throttle
        if refusal: give up (reason = refusal)
        outcome = send attempt `attempt` (X-Attempt, X-Deadline-Ms headers; per-attempt timeout)
        policy.record(attempt, outcome)              # every outcome, success or not
        if outcome.ok: done (goodput if within the deadline)
        if not outcome.retryable: give up ("not_retryable")
        delay = policy.backoff(attempt, outcome)    # None: give up ("attempts_exhausted")
        if the client respects Retry-After: delay = max(delay, outcome.retry_after or 0)
        if the deadline would pass before the next attempt: give up ("deadline_exceeded")
        sleep(delay); attempt += 1

One instance serves one simulated client, shared by all that client's concurrent logical
requests (as a real SDK's budget or breaker is shared by its calls), in one gevent thread:
no locks are needed, but a method must never block or sleep.

Before the loop, the runner calls ``policy.for_request()`` once and makes the loop's admit,
record and backoff calls on what it returns: a policy that remembers something about one
request between its attempts keeps it there, apart from the client's other requests in flight
(like the per-request retry token of the AWS SDKs).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

# Attempt outcomes (also the `outcome` label of stormlab_client_attempts_total).
SUCCESS = "success"
TIMEOUT = "timeout"  # no answer within the attempt's timeout
CONNECT_ERROR = "connect_error"  # refused, unreachable, or the connect timed out
RESET = "reset"  # the connection was reset or closed before an answer
SERVER_ERROR = "server_error"  # 5xx other than 503
SHED = "shed"  # 429 or 503: the server (or the device) asked the client to back off
CLIENT_ERROR = "client_error"  # 4xx other than 429: retrying cannot help

RETRYABLE = frozenset({TIMEOUT, CONNECT_ERROR, RESET, SERVER_ERROR, SHED})

# Why a logical request ended without success (the `reason` label of give-ups).
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
DEADLINE_EXCEEDED = "deadline_exceeded"
NOT_RETRYABLE = "not_retryable"
BUDGET_EXHAUSTED = "budget_exhausted"
BREAKER_OPEN = "breaker_open"
THROTTLED_LOCALLY = "throttled_locally"


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended, as much as a retry policy needs to know."""

    kind: str
    status: int | None = None  # the HTTP status, when there was an answer
    retry_after: float | None = None  # seconds, from a Retry-After header

    @property
    def ok(self) -> bool:
        return self.kind == SUCCESS

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    @property
    def throttled(self) -> bool:
        """The far side said "slow down" (429/503), as adaptive throttling counts it."""
        return self.kind == SHED


class RetryPolicy:
    """Base class: no retries at all. Subclasses override what they need.

    ``params`` are the policy's parameters: its contract class (``params.max_attempts``),
    checked and completed with defaults before it gets them; ``rng`` is the client's own
    seeded random stream (use it for every random choice, never the ``random`` module's
    global one); ``clock`` is the monotonic clock in seconds (injected, so tests can drive it).
    """

    name: ClassVar[str] = "none"

    def __init__(self, params: Any, rng: random.Random, clock: Callable[[], float]):
        self.params = params
        self.rng = rng
        self.clock = clock

    def for_request(self) -> RetryPolicy:
        """What the runner calls admit, record and backoff on for one logical request (called
        once, before its first attempt). A policy that remembers something per request
        (decorrelated jitter's previous delay, the tokens a retry took, whether an attempt is a
        breaker probe) returns a view of itself that keeps that apart while sharing everything
        client-wide (budget, breaker, window, rng). Default: the policy itself."""
        return self

    def admit(self, attempt: int) -> str | None:
        """Before attempt ``attempt`` (1 = the first try) is sent: None to send it, or the
        reason it must not be (BUDGET_EXHAUSTED, BREAKER_OPEN, THROTTLED_LOCALLY). A refused
        attempt is not sent and not recorded; the logical request gives up with that reason."""
        return None

    def backoff(self, attempt: int, outcome: Outcome) -> float | None:
        """After attempt ``attempt`` failed (retryably) with ``outcome``: the seconds to wait
        before the next attempt, or None to give up (ATTEMPTS_EXHAUSTED)."""
        return None

    def record(self, attempt: int, outcome: Outcome) -> None:
        """Every sent attempt's outcome, for policies with state (budgets, breakers, throttles)."""

    def state(self) -> dict[str, float]:
        """Numbers worth exporting as gauges (summed over a policy's clients): tokens left, 1
        when a breaker is open, a rejection probability. Keys are the `state` label values."""
        return {}
