"""The hysteresis loop's rules on a staircase of points, shared by the runner
(experiments/hysteresis_loop.py, experiments/verdict.py) and the model (model/loop_prediction.py),
so that a measured loop and a predicted one are read alike:

- a point is *down* when its goodput is below ``down_fraction`` of the load offered at it;
- ``collapse_load``: on the rising branch, where the first point that is down meets the last
  point still up before it: the mean of their offered loads;
- ``recovery_load``: on the falling branch, after the collapse, where the first point from
  which every point on is up again ("for good") meets the last point still down before it:
  the mean of their offered loads;
- the verdict: stable without a collapse; metastable when the loop never closed on the ramp
  or is at least ``metastable_width`` wide; recovered when narrower.

Why the mean of the two: a staircase brackets each edge between two levels, no closer. The
first level down is an upper bound of the collapse, the last one up a lower bound; read off
either one alone, the loop would come out too wide by about a step (both edges pushed
outwards), which at a 0.1 step is as wide as a retry budget's whole loop. The midpoint is the
estimate, half a step either side the bound (``Edge.low``, ``Edge.high``). With no point on
the other side (the very first level already down), the point's own load is the edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StairPoint:
    offered: float | None  # a fraction of capacity; None when unmeasured
    goodput: float | None
    rising: bool

    def is_down(self, down_fraction: float) -> bool | None:
        """Whether goodput was below ``down_fraction`` of the offered load; None when unmeasured."""
        if self.offered is None or self.goodput is None or self.offered <= 0:
            return None
        return self.goodput < down_fraction * self.offered


@dataclass(frozen=True)
class Edge:
    """Where the staircase turned: between the loads offered at two neighbouring levels."""

    low: float
    high: float

    @property
    def load(self) -> float:
        return (self.low + self.high) / 2


def edge_between(before: StairPoint | None, after: StairPoint) -> Edge | None:
    """The edge between two neighbouring levels (in the order they were held)."""
    if after.offered is None:
        return None
    other = after.offered if before is None or before.offered is None else before.offered
    return Edge(min(other, after.offered), max(other, after.offered))


def turns(points: Sequence[StairPoint], down_fraction: float) -> tuple[Edge | None, Edge | None]:
    """``(collapse, recovery)`` as edges: (None, None) without a collapse; recovery None when
    goodput never came back for good on the way down."""
    collapsed = next((i for i, p in enumerate(points) if p.rising and p.is_down(down_fraction)), None)
    if collapsed is None:
        return None, None
    collapse = edge_between(points[collapsed - 1] if collapsed else None, points[collapsed])
    falling = [i for i, p in enumerate(points) if not p.rising]
    recovered = next((i for n, i in enumerate(falling)
                      if all(points[j].is_down(down_fraction) is False for j in falling[n:])), None)
    if recovered is None:
        return collapse, None
    return collapse, edge_between(points[recovered - 1], points[recovered])


def edges(points: Sequence[StairPoint], down_fraction: float) -> tuple[float | None, float | None]:
    """``(collapse_load, recovery_load)``: (None, None) without a collapse; recovery None when
    goodput never came back for good on the way down."""
    collapse, recovery = turns(points, down_fraction)
    return (None if collapse is None else collapse.load), (None if recovery is None else recovery.load)


def loop_verdict(collapse: float | None, recovery: float | None, metastable_width: float) -> str:
    if collapse is None:
        return "stable"
    if recovery is None or collapse - recovery >= metastable_width:
        return "metastable"
    return "recovered"
