"""The retry policies of the simulated internal clients, selectable by name.

Each policy is one small class (see base.py for the interface and the runner's loop); this
module registers them and builds one from a configuration: name, params, the client's rng
and the monotonic clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from loadgen.policies.adaptive import AdaptiveThrottling
from loadgen.policies.base import RetryPolicy
from loadgen.policies.circuit_breaker import CircuitBreaker
from loadgen.policies.jitter import DecorrelatedJitter, EqualJitter, FullJitter
from loadgen.policies.retry_budget import RetryBudget
from loadgen.policies.simple import Exponential, Fixed, Naive, NoRetries
from stormlab_common.config import ConfigError, dotted, validate

POLICIES: dict[str, type[RetryPolicy]] = {
    cls.name: cls
    for cls in (NoRetries, Naive, Fixed, Exponential, FullJitter, EqualJitter, DecorrelatedJitter,
                RetryBudget, CircuitBreaker, AdaptiveThrottling)
}

__all__ = ["POLICIES", "RetryPolicy", "make_policy"]


def make_policy(name: str, params: dict[str, Any] | None, rng: random.Random,
                clock: Callable[[], float], path: tuple = ("policy",)) -> RetryPolicy:
    """The policy ``name`` for one client, its ``params`` (without the name) validated against
    the class's SCHEMA and completed with its defaults. Problems raise ConfigError with paths
    under ``path``, e.g. ``policy.max_attempts: expected a number >= 1, got 0``."""
    cls = POLICIES.get(name) if isinstance(name, str) else None
    if cls is None:
        options = ", ".join(repr(known) for known in POLICIES)
        raise ConfigError([f"{dotted((*path, 'name'))}: expected one of {options}, got {name!r}"])
    params = validate(cls.SCHEMA, {} if params is None else params, prefix=tuple(path))
    return cls(params, rng, clock)
