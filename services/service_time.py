"""Service-time distributions, registered by name: how long one request's work takes.

The work is a sleep, never CPU burn, so the 2-core machine is not the bottleneck. Every
distribution is given by its mean, so a replica with W workers serves W / mean requests/s
at saturation whatever the shape.
"""

from __future__ import annotations

import math
import random
from typing import Protocol

# Which p99 a lognormal may have is a rule of the settings (Work.check in the contract).
from stormlab_common.contracts.service import DEFAULT_P99_RATIO, MAX_LOGNORMAL_P99_RATIO, Z99

__all__ = ["DISTRIBUTIONS", "MAX_LOGNORMAL_P99_RATIO", "ServiceTime", "make_service_time"]


class ServiceTime(Protocol):
    mean_seconds: float

    def sample(self) -> float: ...


class Fixed:
    def __init__(self, mean_seconds: float, rng: random.Random, p99_seconds: float | None = None):
        self.mean_seconds = mean_seconds

    def sample(self) -> float:
        return self.mean_seconds


class Exponential:
    """Memoryless: the M/M/W textbook case."""

    def __init__(self, mean_seconds: float, rng: random.Random, p99_seconds: float | None = None):
        self.mean_seconds = mean_seconds
        self._rng = rng

    def sample(self) -> float:
        return self._rng.expovariate(1 / self.mean_seconds) if self.mean_seconds else 0.0


class Lognormal:
    """Heavy-ish tail given the two numbers people quote: the mean and the p99.

    mean = exp(mu + sigma^2 / 2) and p99 = exp(mu + Z99 * sigma) give
    sigma = Z99 - sqrt(Z99^2 - 2 ln(p99 / mean)) (the root with the mean preserved).
    """

    def __init__(self, mean_seconds: float, rng: random.Random, p99_seconds: float | None = None):
        self.mean_seconds = mean_seconds
        self.p99_seconds = p99_seconds or DEFAULT_P99_RATIO * mean_seconds
        self.sigma = Z99 - math.sqrt(Z99 * Z99 - 2 * math.log(self.p99_seconds / mean_seconds))
        self.mu = math.log(mean_seconds) - self.sigma * self.sigma / 2
        self._rng = rng

    def sample(self) -> float:
        return self._rng.lognormvariate(self.mu, self.sigma)


DISTRIBUTIONS: dict[str, type] = {"fixed": Fixed, "exponential": Exponential, "lognormal": Lognormal}


def make_service_time(distribution: str, mean_seconds: float, p99_seconds: float | None = None,
                      rng: random.Random | None = None) -> ServiceTime:
    return DISTRIBUTIONS[distribution](mean_seconds, rng or random.Random(), p99_seconds)

