"""Brooker's three jitters ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015).

With ``n = attempt - 1`` the number of retries already made (see backoff.py):
- full:         ``U(0, min(cap, base * 2**n))``
- equal:        ``t/2 + U(0, t/2)`` with ``t = min(cap, base * 2**n)``
- decorrelated: ``min(cap, U(base, 3 * previous))``, ``previous`` starting at ``base``

Every draw comes from the client's own seeded ``rng``, never the ``random`` module's global
stream (which tenacity's own random waits use), so a seed replays the same delays. Jitter
spreads retries out in time; it does not lower how many a failing request makes.
"""

from __future__ import annotations

import copy

from loadgen.policies.backoff import attempts_exhausted, decorrelated_jitter, equal_jitter, full_jitter
from loadgen.policies.base import Outcome, RetryPolicy


class FullJitter(RetryPolicy):
    """Up to ``max_attempts`` attempts, each retry after a full-jitter delay. The policies
    that add a gate (budget, breaker, adaptive throttling) retry like this too."""

    name = "full-jitter"

    def backoff(self, attempt: int, outcome: Outcome) -> float | None:
        if attempts_exhausted(attempt, self.params.max_attempts):
            return None
        return full_jitter(self.rng, attempt, self.params.base_seconds, self.params.cap_seconds)


class EqualJitter(RetryPolicy):
    name = "equal-jitter"

    def backoff(self, attempt: int, outcome: Outcome) -> float | None:
        if attempts_exhausted(attempt, self.params.max_attempts):
            return None
        return equal_jitter(self.rng, attempt, self.params.base_seconds, self.params.cap_seconds)


class DecorrelatedJitter(RetryPolicy):
    """Each delay is drawn from the same request's previous one, so the chain is per logical
    request: ``for_request`` gives each request its own ``previous``."""

    name = "decorrelated-jitter"

    def __init__(self, params, rng, clock):
        super().__init__(params, rng, clock)
        self._previous = params.base_seconds  # per request

    def for_request(self) -> DecorrelatedJitter:
        view = copy.copy(self)  # shares params, rng and clock
        view._previous = self.params.base_seconds
        return view

    def backoff(self, attempt: int, outcome: Outcome) -> float | None:
        if attempts_exhausted(attempt, self.params.max_attempts):
            return None
        if attempt == 1:
            # A new chain (also keeps a policy called without for_request right for
            # one request at a time).
            self._previous = self.params.base_seconds
        delay = decorrelated_jitter(self.rng, self._previous, self.params.base_seconds,
                                    self.params.cap_seconds)
        self._previous = delay
        return delay
