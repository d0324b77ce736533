"""Counts of a few kinds of event over a sliding window of time, in bounded memory.

Events go into buckets of at most one second (a tenth of the window when the window is
shorter than ten seconds); a bucket leaves the window whole, so an event counts for between
``window - bucket`` and ``window`` seconds (exactly ``window`` for one at a bucket's start).
Memory: at most window / bucket buckets, however many events.
Time comes from the injected monotonic clock only.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable


class SlidingCounts:
    def __init__(self, window_seconds: float, fields: Iterable[str], clock: Callable[[], float]):
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds}")
        self.window_seconds = window_seconds
        self._clock = clock
        self._bucket_seconds = min(1.0, window_seconds / 10)
        self._buckets_in_window = math.ceil(window_seconds / self._bucket_seconds - 1e-9)
        self._fields = {name: i for i, name in enumerate(fields)}
        self._buckets: deque[tuple[int, list[float]]] = deque()  # (bucket index, counts)
        self._totals = [0.0] * len(self._fields)

    def add(self, field: str, amount: float = 1.0) -> None:
        index = self._expire()
        if not self._buckets or self._buckets[-1][0] < index:
            self._buckets.append((index, [0.0] * len(self._fields)))
        # A clock that stood still or stepped back counts into the newest bucket.
        self._buckets[-1][1][self._fields[field]] += amount
        self._totals[self._fields[field]] += amount

    def totals(self) -> dict[str, float]:
        self._expire()
        return {name: self._totals[i] for name, i in self._fields.items()}

    def clear(self) -> None:
        self._buckets.clear()
        self._totals = [0.0] * len(self._fields)

    def __len__(self) -> int:
        """Buckets held (for tests of the memory bound)."""
        return len(self._buckets)

    def _expire(self) -> int:
        index = math.floor(self._clock() / self._bucket_seconds)
        oldest_kept = index - self._buckets_in_window + 1
        while self._buckets and self._buckets[0][0] < oldest_kept:
            _, counts = self._buckets.popleft()
            for i, count in enumerate(counts):
                self._totals[i] -= count
        if not self._buckets:
            # Subtracting what was added can leave float dust; an empty window is exactly 0.
            self._totals = [0.0] * len(self._fields)
        return index
