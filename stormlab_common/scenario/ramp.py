"""A hysteresis run's ramp: the offered load held at a staircase of levels, from well below the
device's capacity to beyond it and back down (docs/experiments.md, "The hysteresis loop").

Levels are fractions of the device's capacity (its connection setup rate: every attempt
opens a connection), reached by setting every client's arrival rate; the clients' membership
polls come on top, which is why the loop is drawn against the offered load *measured*, not
the level asked for. Each level is held long enough for the system to settle at it, so each
point of the loop is near steady state at its load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from stormlab_common.model import Meta, Name, Problem

MAX_LEVELS = 200
# A level settles in about this long at any time scale: a collapsed device's backlog (its 2 s
# timeout) drains, the clients' 5 s deadlines run out, and the 6 s rate windows catch up.
MIN_HOLD_SECONDS = 12.0
MAX_LOAD = 3.0  # beyond three times capacity the clients, not the device, would set the rates


@dataclass(frozen=True)
class Ramp:
    """The staircase, as a scenario file gives it (``ramp:``)."""

    low: Annotated[float, Meta(gt=0, le=MAX_LOAD, description=(
        "the lowest level: offered load as a fraction of the device's capacity"))]
    high: Annotated[float, Meta(gt=0, le=MAX_LOAD, description=(
        "the highest level, where the load turns back down"))]
    step: Annotated[float, Meta(gt=0, description="between two levels, in fractions of capacity")]
    hold_seconds: Annotated[float, Meta(gt=0, description=(
        "how long each level is held (scaled with the timeline, to 12 s at least)"))]
    device: Annotated[Name, Meta(description=(
        "the device whose connections.new_per_second is the capacity"))] = "border"
    settled_share: Annotated[float, Meta(gt=0, le=1, description=(
        "the last share of each hold that is measured, once the level has settled"))] = 0.5
    metastable_width: Annotated[float, Meta(gt=0, le=MAX_LOAD, description=(
        "a loop at least this wide (collapse_load - recovery_load) is metastable; a narrower one, "
        "recovered"))] = 0.2

    def check(self) -> list[Problem]:
        if self.low >= self.high:
            return [(("high",), f"must be above low ({self.low:g}), got {self.high:g}")]
        count = len(self.loads())
        if count > MAX_LEVELS:
            return [(("step",), f"{self.step:g} makes {count} levels from {self.low:g} to {self.high:g} and "
                                f"back; expected at most {MAX_LEVELS}")]
        return []

    def loads(self) -> list[float]:
        """The levels in the order they are held: up from low to high, then back down to low."""
        up, level = [], self.low
        while level < self.high - 1e-9 and len(up) <= MAX_LEVELS:
            up.append(round(level, 6))
            level += self.step
        up.append(self.high)
        return up + up[-2::-1]


@dataclass(frozen=True)
class RampLevel:
    """One level as the run holds it, in seconds since the run started (scaled)."""

    load: float  # a fraction of capacity, as asked for
    start: float
    end: float
    branch: str  # "rising" (up to and including the highest level) or "falling"
    requests_per_second: float  # each client's arrival rate that asks for it


def ramp_levels(ramp: Ramp, start: float, time_scale: float, capacity: float,
                client_count: int) -> tuple[RampLevel, ...]:
    """The levels held one after another from ``start``; ``capacity`` in attempts/s."""
    loads, hold = ramp.loads(), held(ramp.hold_seconds, time_scale)
    peak = loads.index(max(loads))
    return tuple(RampLevel(load, start + i * hold, start + (i + 1) * hold,
                           "rising" if i <= peak else "falling", load * capacity / client_count)
                 for i, load in enumerate(loads))


def held(hold_seconds: float, time_scale: float) -> float:
    """A level's hold at ``time_scale``: scaled, but never below what settling takes (or below
    the hold the file gives, if that is shorter still)."""
    return max(hold_seconds * time_scale, min(hold_seconds, MIN_HOLD_SECONDS))
