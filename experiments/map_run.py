"""Runs a metastability map on one stack that stays up between runs.

Every cell of the grid gets ``seeds`` runs, each the map's scenario with the cell's axis values
and its own seed (experiments/map_spec.py). A finished run is a row in the map's cells.csv
at once (experiments/map_store.py): Ctrl-C loses at most the run in progress, and a rerun
skips every run already there. Then, ``refine`` times, each column's boundary is bisected:
between two neighbouring values of y whose majority verdicts differ (metastable on one side,
not on the other), the midpoint gets its own ``seeds`` runs. A progress bar shows the runs
done and the time left.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from experiments.map_spec import MapPlan
from experiments.map_store import MapStore, Row, majority
from experiments.run_record import load_record
from experiments.runner import run_scenario
from stormlab_common.scenario import Scenario, parse_scenario

BAR = "{desc}: {n}/{total} runs |{bar}| {elapsed} elapsed, {remaining} left"
Predict = Callable[[Scenario], str | None]  # a model's verdict for a cell's scenario, or None


@dataclass(frozen=True)
class MapRun:
    plan: MapPlan
    folder: Path
    store: MapStore
    seconds: float  # this invocation's wall time
    time_scale: float = 1.0


def map_folder(results: Path, plan: MapPlan, time_scale: float) -> Path:
    scale = "" if time_scale == 1 else f"-x{time_scale:g}"
    return Path(results) / f"{plan.spec.name}{scale}"


def run_map(plan: MapPlan, time_scale: float, results: Path, stack, *, predict: Predict | None = None,
            progress: bool = True, say=print) -> MapRun:
    folder = map_folder(results, plan, time_scale)
    store = MapStore(folder)
    started = time.monotonic()
    grid = [(x, y) for x in plan.spec.x.values() for y in plan.spec.y.values()]
    todo = _todo(store, plan, grid)
    skipped = len(grid) * plan.spec.seeds - todo
    if skipped:
        say(f"map {plan.spec.name}: {skipped} runs already in {store.path}, skipped")
    bar = Progress(plan.spec.name, todo, progress, say)
    try:
        _run_points(plan, time_scale, store, stack, grid, predict, bar, folder)
        for _round in range(plan.spec.refine):
            midpoints = boundary_midpoints(store, plan)
            if not midpoints:
                break
            bar.add(_todo(store, plan, midpoints))
            _run_points(plan, time_scale, store, stack, midpoints, predict, bar, folder)
    finally:
        bar.close()
    return MapRun(plan, folder, store, time.monotonic() - started, time_scale)


class Progress:
    """Runs done and the time left: a tqdm bar on a terminal, a line per run otherwise (CI logs)."""

    def __init__(self, name: str, total: int, bar: bool, say):
        self.name, self.total, self.done, self._say = name, total, 0, say
        self._started = time.monotonic()
        self._bar = None
        if bar:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="run", dynamic_ncols=True, bar_format=BAR)

    def add(self, runs: int) -> None:
        self.total += runs
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def now(self, what: str) -> None:
        if self._bar is not None:
            self._bar.set_description_str(f"{self.name}: {what}")

    def step(self, what: str, verdict: str) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            return
        spent = time.monotonic() - self._started
        left = spent / self.done * (self.total - self.done)
        self._say(f"map {self.name}: {self.done}/{self.total} runs, {what}: {verdict}; "
                  f"{spent:.0f} s so far, ~{left:.0f} s left")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _todo(store: MapStore, plan: MapPlan, points) -> int:
    return sum(1 for x, y in points for k in range(plan.spec.seeds) if not store.done(x, y, k))


def boundary_midpoints(store: MapStore, plan: MapPlan) -> list[tuple[float, float]]:
    """Per column, the midpoint between each two neighbouring y values measured so far whose
    majority verdicts fall on two sides of the line (metastable or not), not yet run."""
    found = []
    for x in plan.spec.x.values():
        ys = sorted(y for px, y in store.points() if px == round(x, 6))
        for low, high in itertools.pairwise(ys):
            a, b = majority(store.cell(x, low)), majority(store.cell(x, high))
            if a is not None and b is not None and (a == "metastable") != (b == "metastable"):
                middle = round((low + high) / 2, 6)
                if middle not in (low, high) and not store.cell(x, middle):
                    found.append((x, middle))
    return found


def cell_scenario(plan: MapPlan, x: float, y: float, seed: int, time_scale: float) -> Scenario:
    return parse_scenario(plan.cell_raw(x, y, seed), time_scale, str(plan.path))


def _run_points(plan: MapPlan, time_scale: float, store: MapStore, stack, points, predict,
                progress: Progress, folder: Path) -> None:
    # Seed by seed over every point: a map cut short still has every cell once before any twice.
    for seed in range(plan.spec.seeds):
        for x, y in points:
            if store.done(x, y, seed):
                continue
            what = f"{plan.spec.x.vary}={x:g}, {plan.spec.y.vary}={y:g}, seed {seed + 1}/{plan.spec.seeds}"
            progress.now(what)
            scenario = cell_scenario(plan, x, y, seed, time_scale)
            began = time.monotonic()
            run_dir = run_scenario(scenario, folder / "runs", stack, progress=False, report=False,
                                   say=lambda *_: None)
            predicted = predict(scenario) if predict else None
            row = _row(plan, x, y, seed, run_dir, time.monotonic() - began, predicted)
            store.add(row)
            progress.step(what, row.verdict)


def _row(plan: MapPlan, x: float, y: float, seed: int, run_dir: Path, seconds: float,
         predicted: str | None) -> Row:
    record = load_record(run_dir)
    verdict = record.verdict.verdict if record.status == "complete" and record.verdict else "failed"
    baseline = (record.figures or {}).get("baseline_goodput")
    measured = None
    if baseline and baseline.value is not None and plan.capacity:
        measured = round(baseline.value / plan.capacity, 4)
    return Row(x, y, seed, verdict, measured, predicted, round(seconds, 1), str(run_dir))
