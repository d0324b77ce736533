"""The hysteresis loop of one run: goodput against offered load, on the way up and on the way down.

A hysteresis run holds the offered load at a staircase of levels (fractions of the device's
capacity, stormlab_common/scenario/ramp.py), rising from well below capacity to beyond it and
back. Each level is one point:
the mean offered load (the clients' first tries, ``demand``) and the mean goodput over the
settled part of its hold (the last ``settled_share`` of it, when the system is near its
steady state at that load), both divided by the device's capacity.

Two figures say where the loop is (their rules in stormlab_common/loop_rule.py, which the
model's predicted loop follows too):

- ``collapse_load``: on the rising branch, between the last level still up and the first
  whose goodput fell below ``down_fraction`` of what was offered (the mean of their loads);
- ``recovery_load``: on the falling branch, after the collapse, between the last level still
  down and the first whose goodput was back above that line for good (every lower level too).

With retries that multiply the load once the device is congested, the collapse comes near
capacity and the recovery only below ``capacity / attempts per request``: the width of the
loop, ``collapse_load - recovery_load``, is the range of loads at which the system is
metastable (both states are stable; which one it is in depends on its history).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from experiments.series_math import Series, aggregate
from stormlab_common.loop_rule import StairPoint, edges
from stormlab_common.scenario.ramp import RampLevel


@dataclass(frozen=True)
class Point:
    level: RampLevel
    offered: float | None  # measured: mean demand / capacity over the settled part
    goodput: float | None  # measured: mean goodput / capacity over the settled part

    def is_down(self, down_fraction: float) -> bool | None:
        """Whether goodput was below ``down_fraction`` of the offered load; None when unmeasured."""
        return self.stair_point.is_down(down_fraction)

    @property
    def stair_point(self) -> StairPoint:
        return StairPoint(self.offered, self.goodput, self.level.branch == "rising")


@dataclass(frozen=True)
class Loop:
    points: tuple[Point, ...]
    collapse_load: float | None  # None: goodput never collapsed on the way up
    recovery_load: float | None  # None: no collapse, or goodput never came back on the way down

    @property
    def width(self) -> float | None:
        """``collapse_load - recovery_load``: 0 when it never collapsed; None when it collapsed and
        never came back (the loop is wider than the ramp went down)."""
        if self.collapse_load is None:
            return 0.0
        if self.recovery_load is None:
            return None
        return self.collapse_load - self.recovery_load

    def branch(self, name: str) -> list[Point]:
        return [p for p in self.points if p.level.branch == name]


def measure(levels: Sequence[RampLevel], series: dict[str, Series], *, settled_share: float = 0.5,
            down_fraction: float = 0.5) -> Loop:
    """The loop the recorded ``demand``, ``goodput`` and ``capacity`` series draw."""
    points = []
    for level in levels:
        window = (level.end - settled_share * (level.end - level.start), level.end)
        capacity = _mean(series.get("capacity", []), window)
        offered, goodput = (_mean(series.get(name, []), window) for name in ("demand", "goodput"))
        points.append(Point(level, _share(offered, capacity), _share(goodput, capacity)))
    return loop_of(points, down_fraction)


def loop_of(points: list[Point], down_fraction: float = 0.5) -> Loop:
    """Where the points collapse on the way up and come back on the way down."""
    collapse, recovery = edges([p.stair_point for p in points], down_fraction)
    return Loop(tuple(points), collapse, recovery)


def _mean(samples: Series, window: tuple[float, float]) -> float | None:
    """The mean over [start, end): the sample at a level's end is the next level's first."""
    start, end = window
    return aggregate([(t, v) for t, v in samples if t < end], (start, end), "mean")


def _share(value: float | None, capacity: float | None) -> float | None:
    if value is None or capacity is None or not capacity or not math.isfinite(value):
        return None
    return value / capacity
