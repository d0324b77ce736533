"""The retry policies of the simulated internal clients, selectable by name.

Each policy is one small class (see base.py for the interface and the runner's loop); this
module registers them by name and builds one for a client from its typed parameters (the
contract: stormlab_common/contracts/policies.py), the client's rng and the monotonic clock.
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

POLICIES: dict[str, type[RetryPolicy]] = {
    cls.name: cls
    for cls in (NoRetries, Naive, Fixed, Exponential, FullJitter, EqualJitter, DecorrelatedJitter,
                RetryBudget, CircuitBreaker, AdaptiveThrottling)
}

__all__ = ["POLICIES", "RetryPolicy", "make_policy"]


def make_policy(params: Any, rng: random.Random, clock: Callable[[], float]) -> RetryPolicy:
    """The policy ``params`` names (a parameter class of the contract, checked already), for
    one client."""
    return POLICIES[params.name](params, rng, clock)
