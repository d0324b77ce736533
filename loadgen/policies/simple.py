"""The policies without jitter or shared state: tenacity's own strategies decide alone.

``naive`` is the latent bug the testbed exists to show: tenacity's defaults (``wait_none``,
``stop_never``) retry at once and forever, and only the logical request's deadline, which the
runner enforces, ends the loop.
"""

from __future__ import annotations

from typing import Any, ClassVar

import tenacity

from loadgen.policies.backoff import call_state, max_attempts_schema
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

    def make_stop(self, params: dict[str, Any]) -> tenacity.stop.stop_base:
        return tenacity.stop_after_attempt(params["max_attempts"])

    def make_wait(self, params: dict[str, Any]) -> tenacity.wait.wait_base:
        raise NotImplementedError

    def backoff(self, attempt: int, outcome: Outcome) -> float | None:
        state = call_state(attempt)
        if self._stop(state):
            return None
        return float(self._wait(state))


class Naive(TenacityPolicy):
    """Immediate retries with no attempt cap, each on a new connection, ignoring Retry-After."""

    name = "naive"
    CLIENT_DEFAULTS: ClassVar[dict[str, Any]] = {"reuse_connections": False, "respect_retry_after": False}

    def make_stop(self, params):
        return tenacity.stop_never

    def make_wait(self, params):
        return tenacity.wait_none()


class Fixed(TenacityPolicy):
    """Up to ``max_attempts`` attempts, ``delay_seconds`` apart."""

    name = "fixed"
    SCHEMA: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_attempts": max_attempts_schema(3),
            "delay_seconds": {"type": "number", "minimum": 0, "maximum": 3600, "default": 1.0,
                              "description": "the wait before every retry"},
        },
    }

    def make_wait(self, params):
        return tenacity.wait_fixed(params["delay_seconds"])


class Exponential(TenacityPolicy):
    """Capped exponential backoff without jitter: the retry after attempt n waits
    ``min(cap, base * multiplier**(n - 1))``, so every client that failed together retries
    together."""

    name = "exponential"
    SCHEMA: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_attempts": max_attempts_schema(3),
            "base_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 0.1,
                             "description": "the first retry's delay"},
            "multiplier": {"type": "number", "minimum": 1, "maximum": 10, "default": 2,
                           "description": "each retry waits this many times longer than the one before"},
            "cap_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 10.0,
                            "description": "no delay is longer than this"},
        },
    }

    def make_wait(self, params):
        return tenacity.wait_exponential(multiplier=params["base_seconds"], max=params["cap_seconds"],
                                         exp_base=params["multiplier"])
