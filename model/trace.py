"""What a simulated run records: counts per one-second bin, and the series the verdict reads.

- ``demand``: logical requests started; ``goodput``: those that succeeded within their
  deadline (by the second they succeeded in), also by target;
- ``attempts`` sent (first tries and ``retries``), ``setups``: attempts arriving at a device
  for a new connection (``setups:<device>`` at each), ``wasted``: setups done after the
  attempt's client had left, ``turned_away``: attempts the device refused (backlog full or
  timed out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

FIELDS = ("demand", "goodput", "attempts", "retries", "setups", "wasted", "turned_away")


@dataclass
class Trace:
    seconds: int
    counts: dict[str, list[float]] = field(default_factory=dict)
    goodput_by_target: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in FIELDS:
            self.counts.setdefault(name, [0.0] * self.seconds)

    def track(self, name: str) -> None:
        """Record a series of this name too (e.g. one per device)."""
        self.counts.setdefault(name, [0.0] * self.seconds)

    def add(self, name: str, at: float, amount: float = 1.0) -> None:
        index = int(at)
        if 0 <= index < self.seconds:
            self.counts[name][index] += amount

    def success(self, at: float, target: str) -> None:
        index = int(at)
        if 0 <= index < self.seconds:
            self.counts["goodput"][index] += 1
            per_target = self.goodput_by_target.setdefault(target, [0.0] * self.seconds)
            per_target[index] += 1

    def mean(self, name: str, start: float, end: float) -> float | None:
        """The mean rate over [start, end), whole seconds."""
        first, last = max(0, math.ceil(start - 1e-9)), min(self.seconds, int(end))
        values = self.counts[name][first:last]
        return sum(values) / len(values) if values else None

    def ratio(self, numerator: str, denominator: str, start: float, end: float) -> float | None:
        first, last = max(0, math.ceil(start - 1e-9)), min(self.seconds, int(end))
        below = sum(self.counts[denominator][first:last])
        return sum(self.counts[numerator][first:last]) / below if below else None


def rate_series(counts: list[float], window: int = 6) -> list[tuple[float, float]]:
    """Per-second counts as Prometheus's ``rate(...[6s])`` sampled each second: at second
    ``t``, the mean of the ``window`` seconds before it."""
    out, total = [], 0.0
    for index, value in enumerate(counts):
        total += value
        if index >= window:
            total -= counts[index - window]
        out.append((float(index + 1), max(0.0, total / min(window, index + 1))))  # no float dust below 0
    return out
