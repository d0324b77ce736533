"""A service replica: ``workers`` served at once, FIFO, with its queue limit and admission
control (services/scheduler.py). Requests are taken in the order they reach it, each given
to the first worker free; a request that would queue past the limit, or wait longer than
admission control allows, is shed at once (503 with Retry-After)."""

from __future__ import annotations

import heapq
import math
import random

from model.inputs import ServiceInput

Z99 = 2.3263478740408408


class Service:
    def __init__(self, spec: ServiceInput, rng: random.Random):
        self.rng = rng
        self.free: list[float] = []
        self.reconfigure(spec)

    def reconfigure(self, spec: ServiceInput) -> None:
        self.spec = spec
        self.free = (sorted(self.free) + [0.0] * spec.workers)[:spec.workers]
        heapq.heapify(self.free)
        self.sigma = self.mu = 0.0
        if spec.distribution == "lognormal" and spec.service_time > 0:
            ratio = max(1.0 + 1e-9, spec.p99 / spec.service_time)
            self.sigma = Z99 - math.sqrt(max(0.0, Z99 * Z99 - 2 * math.log(ratio)))
            self.mu = math.log(spec.service_time) - self.sigma * self.sigma / 2

    def serve(self, now: float) -> tuple[float, bool]:
        """(when the answer is ready, True) or (when it is shed, False)."""
        spec = self.spec
        start = max(now, self.free[0])
        if start > now:
            queued = (start - now) * spec.workers / spec.service_time if spec.service_time else 0.0
            ahead = (queued + 1) * spec.service_time / spec.workers
            if queued >= spec.queue_limit or (spec.shed_above_delay is not None
                                              and ahead > spec.shed_above_delay):
                return now, False
        finish = start + self._sample()
        heapq.heapreplace(self.free, finish)
        return finish, True

    def _sample(self) -> float:
        spec = self.spec
        if spec.service_time <= 0:
            return 0.0
        if spec.distribution == "exponential":
            return self.rng.expovariate(1 / spec.service_time)
        if spec.distribution == "lognormal":
            return self.rng.lognormvariate(self.mu, self.sigma)
        return spec.service_time
