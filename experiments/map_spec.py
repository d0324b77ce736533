"""A metastability map's file (``experiments/map/<name>.yaml``): which scenario it varies, its
two axes, how many seeds per cell, and how far to refine next to the boundary.

    name: map-fixed
    scenario: capped-retries         # a scenario with a trigger, in experiments/ (or a path)
    x: {vary: baseline_load, from: 0.3, to: 0.8, cells: 6}   # fractions of the device's capacity
    y: {vary: surge_factor, from: 1.5, to: 5, cells: 5}      # or trigger_duration (seconds)
    seeds: 3
    refine: 1                        # bisection rounds between cells whose majorities differ

Each cell is the scenario with its axes' values set, its own seed, no operator actions and no
hypothesis: whether the system comes back *by itself*, and from how big a trigger. Every
problem is found before anything starts (``load_map``): a grid with no cells, a seed count of
0, a baseline load at or above the device's capacity (no steady state to start from), an axis
the scenario cannot vary (no trigger, no setup limit on the device).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from stormlab_common.config import ConfigError, merge_patch, read_yaml_file
from stormlab_common.fields import KEY
from stormlab_common.model import Meta, Name, Problem, parse
from stormlab_common.scenario import read_scenario

AXES = {
    "baseline_load": "baseline load (fraction of the device's capacity)",
    "surge_factor": "trigger size (surge factor: clients x this)",
    "trigger_duration": "trigger duration (s, at full length)",
}
MAX_RUNS = 2000  # cells x seeds, refinement included: a map that would run for days is a typo


@dataclass(frozen=True)
class Axis:
    vary: Annotated[Literal["baseline_load", "surge_factor", "trigger_duration"], Meta(description=(
        "what this axis varies"))]
    start: Annotated[float, Meta(gt=0, description="its first value")] = field(metadata={KEY: "from"})
    stop: Annotated[float, Meta(gt=0, description="its last value")] = field(metadata={KEY: "to"})
    cells: Annotated[int, Meta(ge=1, le=50, description="how many values from start to stop")] = 1

    def values(self) -> list[float]:
        if self.cells == 1:
            return [self.start]
        step = (self.stop - self.start) / (self.cells - 1)
        return [round(self.start + i * step, 6) for i in range(self.cells)]

    def check(self) -> list[Problem]:
        if self.cells > 1 and self.stop <= self.start:
            return [(("to",), f"must be above from ({self.start:g}) for {self.cells} cells, got "
                              f"{self.stop:g}")]
        if self.vary == "baseline_load" and max(self.start, self.stop) >= 1:
            return [(("to" if self.stop >= 1 else "from",), "a baseline load at or above 1 (the device's "
                     "capacity) has no steady state to start from; expected a fraction below 1")]
        if self.vary == "surge_factor" and min(self.start, self.stop) < 1:
            return [(("from",), "a surge factor below 1 is no surge; expected 1 or more")]
        return []


@dataclass(frozen=True)
class MapFile:
    name: Name
    scenario: Annotated[str, Meta(min_length=1, description="the scenario it varies: a name in "
                                                            "experiments/ or a path")]
    x: Axis
    y: Axis
    seeds: Annotated[int, Meta(ge=1, le=100, description="runs per cell, each its own seed")] = 3
    refine: Annotated[int, Meta(ge=0, le=6, description=(
        "bisection rounds between neighbouring cells whose majority verdicts differ"))] = 1
    device: Annotated[Name, Meta(description="whose connections.new_per_second is the capacity")] = "border"
    observe_seconds: Annotated[float, Meta(gt=0, description=(
        "how long after the trigger's end each run watches (full length)"))] = 40.0
    trigger_at: Annotated[float | None, Meta(gt=0, description=(
        "when each run's trigger starts (full length); default: the scenario's"))] = None

    def check(self) -> list[Problem]:
        if self.x.vary == self.y.vary:
            return [(("y", "vary"), f"both axes vary {self.x.vary}; expected two different ones")]
        runs = self.x.cells * self.y.cells * self.seeds
        if runs > MAX_RUNS:
            return [(("seeds",), f"{self.x.cells} x {self.y.cells} cells x {self.seeds} seeds is {runs} "
                                 f"runs; expected at most {MAX_RUNS}")]
        return []


@dataclass(frozen=True)
class MapPlan:
    """A map ready to run: its file, the base scenario as written (``extends`` merged), and the
    device's capacity that baseline loads are fractions of."""

    spec: MapFile
    path: Path
    base: dict
    capacity: float
    polls_per_second: float = 0.0  # the clients' membership polls, on top of their arrivals

    def cell_raw(self, x: float, y: float, seed_index: int) -> dict:
        """The scenario of one run of cell (x, y), as a file would say it."""
        raw = copy.deepcopy(self.base)
        for axis, value in ((self.spec.x, x), (self.spec.y, y)):
            raw = _set_axis(raw, axis.vary, value, self)
        trigger = raw["timeline"]["trigger"]
        if self.spec.trigger_at is not None:
            trigger["at"] = self.spec.trigger_at
        raw["timeline"]["end"] = trigger["at"] + trigger["duration"] + self.spec.observe_seconds
        raw["timeline"]["actions"] = []
        raw["hypothesis"], raw["compare"] = [], []
        raw["seed"] = int(self.base.get("seed", 1)) * 1000 + seed_index
        raw["name"] = self.spec.name
        return raw


def load_map(path: str | Path, parse_cell, poll_seconds: float | None = None) -> MapPlan:
    """The map at ``path``, every problem found; ``parse_cell(raw) -> Scenario`` checks a cell's
    scenario as the runner would (experiments/validation.py), so a corner cell that cannot run
    is refused now, not an hour in. ``poll_seconds``: the clients' membership poll (the stack's
    loadgen config), whose requests count in the baseline load."""
    path = Path(path)
    source = f"map {path}"
    spec = parse(MapFile, read_yaml_file(path), source)
    scenario_file = _scenario_file(path, spec.scenario)
    try:
        base = read_scenario(scenario_file)
    except ConfigError as exc:
        raise ConfigError([f"scenario: {problem}" for problem in exc.problems], source) from None
    problems = []
    timeline = base.get("timeline") if isinstance(base.get("timeline"), dict) else {}
    if not timeline.get("trigger"):
        problems.append(f"scenario: {spec.scenario} has no timeline.trigger; a map varies a trigger's size")
    capacity = _capacity(base, spec.device)
    if capacity is None and "baseline_load" in (spec.x.vary, spec.y.vary):
        problems.append(f"x.vary: baseline_load needs a capacity: {spec.scenario} sets no "
                        f"connections.new_per_second for device {spec.device!r}")
    if problems:
        raise ConfigError(problems, source)
    count = (base.get("clients") or {}).get("count", 0)
    polls = count / poll_seconds if poll_seconds else 0.0
    plan = MapPlan(spec, path, base, capacity or 0.0, polls)
    lowest = min(axis.values()[0] for axis in (spec.x, spec.y) if axis.vary == "baseline_load") \
        if "baseline_load" in (spec.x.vary, spec.y.vary) else None
    if lowest is not None and capacity and lowest * capacity <= polls:
        raise ConfigError([f"{'x' if spec.x.vary == 'baseline_load' else 'y'}.from: a baseline load of "
                           f"{lowest:g} x capacity is {lowest * capacity:g} requests/s, no more than the "
                           f"{count} clients' membership polls alone ({polls:g}/s); expected more than "
                           f"{polls / capacity:.2g}"], source)
    for x in (spec.x.values()[0], spec.x.values()[-1]):
        for y in (spec.y.values()[0], spec.y.values()[-1]):
            try:
                parse_cell(plan.cell_raw(x, y, 0))
            except ConfigError as exc:
                problems += [f"cell ({x:g}, {y:g}): {problem}" for problem in exc.problems]
    if problems:
        raise ConfigError(problems, source)
    return plan


def _scenario_file(map_path: Path, name: str) -> Path:
    for candidate in (map_path.parent / name, map_path.parent / f"{name}.yaml",
                      map_path.parent.parent / f"{name}.yaml", Path(name)):
        if candidate.is_file():
            return candidate
    raise ConfigError([f"scenario: no scenario {name!r} (looked beside the map and in experiments/)"],
                      f"map {map_path}")


def _capacity(raw: dict, device: str) -> float | None:
    devices = (raw.get("topology") or {}).get("devices") or {}
    rate = ((devices.get(device) or {}).get("connections") or {}).get("new_per_second")
    return float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0 else None


def _set_axis(raw: dict, vary: str, value: float, plan: MapPlan) -> dict:
    if vary == "baseline_load":
        count = raw["clients"]["count"]  # the polls come on top of the arrivals: they are taken off
        patch: dict[str, Any] = {"clients": {"config": {"arrivals": {
            "requests_per_second": round((value * plan.capacity - plan.polls_per_second) / count, 6)}}}}
    elif vary == "surge_factor":
        patch = {"timeline": {"trigger": {"surge_factor": value}}}
    else:
        patch = {"timeline": {"trigger": {"duration": value}}}
    return merge_patch(raw, patch)
