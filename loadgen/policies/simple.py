"""The policies without jitter or shared state: tenacity's own strategies decide alone.

``naive`` is the latent bug the testbed exists to show: tenacity's defaults (``wait_none``,
``stop_never``) retry at once and forever, and only the logical request's deadline, which the
runner enforces, ends the loop.
"""

from __future__ import annotations

from typing import Any

import tenacity

from loadgen.policies.backoff import call_state
from loadgen.policies.base import Outcome, RetryPolicy


class NoRetries(RetryPolicy):
    """One attempt per logical request."""

    name = "none"


class TenacityPolicy(RetryPolicy):
    """A policy that is exactly one tenacity stop strategy and one wait strategy."""

    def __init__(self, params, rng, clock):
        super().__init__(params, rng, clock)
        self._stop = self.make_stop(params)
        self._wait = self.make_wait(params)

    def make_stop(self, params: Any) -> tenacity.stop.stop_base:
        return tenacity.stop_after_attempt(params.max_attempts)

    def make_wait(self, params: Any) -> tenacity.wait.wait_base:
        raise NotImplementedError

    def backoff(self, attempt: int, outcome: Outcome) -> float | None:
        state = call_state(attempt)
        if self._stop(state):
            return None
        return float(self._wait(state))


class Naive(TenacityPolicy):
    """Immediate retries with no attempt cap, each on a new connection, ignoring Retry-After
    (the contract's NaiveParams.CLIENT_DEFAULTS: what a profile leaves null)."""

    name = "naive"

    def make_stop(self, params):
        return tenacity.stop_never

    def make_wait(self, params):
        return tenacity.wait_none()


class Fixed(TenacityPolicy):
    """Up to ``max_attempts`` attempts, ``delay_seconds`` apart."""

    name = "fixed"

    def make_wait(self, params):
        return tenacity.wait_fixed(params.delay_seconds)


class Exponential(TenacityPolicy):
    """Capped exponential backoff without jitter: the retry after attempt n waits
    ``min(cap, base * multiplier**(n - 1))``, so every client that failed together retries
    together."""

    name = "exponential"

    def make_wait(self, params):
        return tenacity.wait_exponential(multiplier=params.base_seconds, max=params.cap_seconds,
                                         exp_base=params.multiplier)
