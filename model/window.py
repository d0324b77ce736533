"""Counts over a sliding window of simulated time, in buckets of at most one second (a tenth
of the window when it is shorter than ten seconds), as the clients' policies count
(loadgen/policies/window.py): a bucket leaves the window whole."""

from __future__ import annotations

import math
from collections import deque


class Window:
    def __init__(self, seconds: float, fields: int):
        self.bucket = min(1.0, seconds / 10)
        self.span = math.ceil(seconds / self.bucket - 1e-9)
        self.buckets: deque[list] = deque()  # [index, count, count, ...]
        self.totals = [0.0] * fields

    def add(self, now: float, which: int, amount: float = 1.0) -> None:
        index = self._expire(now)
        if not self.buckets or self.buckets[-1][0] < index:
            self.buckets.append([index] + [0.0] * len(self.totals))
        self.buckets[-1][which + 1] += amount
        self.totals[which] += amount

    def counts(self, now: float) -> list[float]:
        self._expire(now)
        return self.totals

    def clear(self) -> None:
        self.buckets.clear()
        self.totals = [0.0] * len(self.totals)

    def _expire(self, now: float) -> int:
        index = math.floor(now / self.bucket)
        oldest = index - self.span + 1
        while self.buckets and self.buckets[0][0] < oldest:
            old = self.buckets.popleft()
            for i in range(len(self.totals)):
                self.totals[i] -= old[i + 1]
        if not self.buckets:
            self.totals = [0.0] * len(self.totals)
        return index
