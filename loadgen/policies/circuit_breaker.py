"""A circuit breaker in front of full-jitter retries (the closed/open/half-open machine of
Nygard's "Release It!", as in resilience4j and Polly).

- closed: every attempt goes; outcomes fill a sliding window. Once it holds at least
  ``min_requests`` outcomes and the share of retryable failures among them reaches
  ``failure_ratio``, the breaker opens.
- open: every attempt, first tries included, is refused (BREAKER_OPEN) for ``open_seconds``.
- half-open: the next ``half_open_probes`` attempts go through as probes; others are refused.
  The first probe outcome decides: success (anything not retryable) closes the breaker with
  an empty window, failure opens it again for ``open_seconds``. A probe that never reports
  (admitted, then not sent because the deadline had passed) would hold the breaker half-open
  for good, so after ``open_seconds`` without a probe outcome a new set of probes may go.

Outcomes of attempts sent under an earlier state (e.g. a slow timeout that arrives after the
breaker opened) are ignored: each state change starts a new period, and an outcome counts only
in the period its attempt was admitted in.
"""

from __future__ import annotations

import copy

from loadgen.policies.base import BREAKER_OPEN, Outcome
from loadgen.policies.jitter import FullJitter
from loadgen.policies.window import SlidingCounts
from stormlab_common.contracts.policies import CircuitBreakerParams

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class Breaker:
    """The client-wide state machine."""

    def __init__(self, params: CircuitBreakerParams, clock):
        self.params = params
        self.clock = clock
        self.window = SlidingCounts(params.window_seconds, ("outcomes", "failures"), clock)
        self.state = CLOSED
        self.period = 0  # bumped on every state change
        self.entered_at = clock()
        self.probes_sent = 0

    def current(self) -> str:
        """The state now, after any change that time alone makes."""
        if self.state != CLOSED and self.clock() - self.entered_at >= self.params.open_seconds:
            self._enter(HALF_OPEN)  # from open; or from half-open whose probes never reported
        return self.state

    def failure_ratio(self) -> float:
        counts = self.window.totals()
        return counts["failures"] / counts["outcomes"] if counts["outcomes"] else 0.0

    def observe(self, failed: bool) -> None:
        """One outcome of an attempt admitted in the current closed period."""
        self.window.add("outcomes")
        if failed:
            self.window.add("failures")
        counts = self.window.totals()
        if (counts["outcomes"] >= self.params.min_requests
                and counts["failures"] / counts["outcomes"] >= self.params.failure_ratio):
            self._enter(OPEN)

    def probe_result(self, failed: bool) -> None:
        """The outcome of a probe admitted in the current half-open period."""
        self._enter(OPEN if failed else CLOSED)

    def _enter(self, state: str) -> None:
        self.state = state
        self.period += 1
        self.probes_sent = 0
        self.entered_at = self.clock()
        if state == CLOSED:
            self.window.clear()


class CircuitBreaker(FullJitter):
    name = "circuit-breaker"

    def __init__(self, params, rng, clock):
        super().__init__(params, rng, clock)
        self._breaker = Breaker(params, clock)
        # Per request: the period its attempt in flight was admitted in, and if it is a probe.
        self._period: int | None = None
        self._probe = False

    def for_request(self) -> CircuitBreaker:
        view = copy.copy(self)  # shares the breaker
        view._period, view._probe = None, False
        return view

    def admit(self, attempt: int) -> str | None:
        breaker = self._breaker
        state = breaker.current()
        if state == OPEN or (state == HALF_OPEN and breaker.probes_sent >= self.params.half_open_probes):
            return BREAKER_OPEN
        if state == HALF_OPEN:
            breaker.probes_sent += 1
        self._period, self._probe = breaker.period, state == HALF_OPEN
        return None

    def record(self, attempt: int, outcome: Outcome) -> None:
        breaker = self._breaker
        if self._period != breaker.period:
            return  # sent under an earlier state
        if self._probe:
            breaker.probe_result(failed=outcome.retryable)
        else:
            breaker.observe(failed=outcome.retryable)

    def state(self) -> dict[str, float]:
        state = self._breaker.current()
        return {"breaker_open": float(state == OPEN), "breaker_half_open": float(state == HALF_OPEN),
                "failure_ratio": self._breaker.failure_ratio()}
