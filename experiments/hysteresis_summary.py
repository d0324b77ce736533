"""The hysteresis loops of several runs side by side: one overlay picture and a table of their
two loads, each against the physics the loop should reproduce (docs/experiments.md, "The
hysteresis loop"):

- with retries that multiply the load (``fixed`` N attempts, ``naive`` until a deadline), the
  recovery comes only once ``attempts x load`` fits under capacity: ``recovery_load`` within
  ``RECOVERY_TOLERANCE`` of ``1 / attempts``, and a loop at least ``WIDE`` wide;
- with a retry budget, there is almost no loop: at most ``NARROW``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from experiments.hysteresis_plot import draw_overlay, save
from experiments.hysteresis_report import attempts_per_request, loop_of_record
from experiments.model_view import predicted_loop_line
from experiments.results_io import read_series_csv, write_text_atomic
from experiments.run_record import load_record

RECOVERY_TOLERANCE = 0.15  # of capacity
WIDE, NARROW = 0.4, 0.15  # of capacity


@dataclass(frozen=True)
class Bound:
    claim: str
    holds: bool | None  # None: not measurable (the loop never closed, or no collapse)


def physics_bounds(expected: str, attempts: float | None, collapse: float | None, recovery: float | None,
                   width: float | None) -> list[Bound]:
    """What the loop must show, from what it was expected to be."""
    if expected == "recovered":
        narrow = None if width is None else width <= NARROW
        return [Bound(f"loop at most {NARROW:g} of capacity wide", narrow)]
    bounds = [Bound(f"loop at least {WIDE:g} of capacity wide",
                    None if collapse is None else (width is None or width >= WIDE))]
    if attempts:
        target = 1 / attempts
        bounds.append(Bound(f"recovery_load within {RECOVERY_TOLERANCE:g} of capacity / {attempts:g} "
                            f"attempts = {target:.2f}",
                            None if recovery is None else abs(recovery - target) <= RECOVERY_TOLERANCE))
    return bounds


def write_loops(run_dirs: list[Path], results: Path) -> Path:
    """results/hysteresis-<time>/: overlay.png and summary.md; returns the summary's path."""
    loops, rows, failed = {}, [], 0
    for run_dir in run_dirs:
        record = load_record(run_dir)
        found = loop_of_record(record, read_series_csv(run_dir / record.artifacts.series))
        if found is None:
            continue
        scenario, loop = found
        loops[scenario.name] = loop
        attempts = attempts_per_request(scenario)
        bounds = physics_bounds(scenario.expected_verdict, attempts, loop.collapse_load, loop.recovery_load,
                                loop.width)
        failed += sum(bound.holds is not True for bound in bounds)
        verdict = record.verdict.verdict if record.verdict else "none"
        hold = scenario.ramp[0].end - scenario.ramp[0].start
        rows.append(f"| {scenario.name} | {len(scenario.ramp)} of {hold:g} s | {_load(loop.collapse_load)} | "
                    f"{_load(loop.recovery_load)} | "
                    f"{_load(loop.width)} | {verdict} (expected {scenario.expected_verdict}) | "
                    f"{predicted_loop_line(scenario)} | "
                    + "; ".join(f"{b.claim}: {_said(b.holds)}" for b in bounds) + " |")
    out = Path(results) / f"hysteresis-{run_dirs[0].name.split('-')[0]}"
    out.mkdir(parents=True, exist_ok=True)
    if loops:
        overlay = draw_overlay("hysteresis loops: goodput against offered load, by policy", loops)
        save(overlay, out / "overlay.png")
    summary = out / "summary.md"
    write_text_atomic(summary, "\n".join([
        "# Hysteresis loops", "",
        "Loads as fractions of the device's capacity. ![overlay](overlay.png)", "",
        "| scenario | levels | collapse_load | recovery_load | loop width | verdict | the model: collapse / "
        "recovery (width): verdict | the physics |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |", *rows, "",
        f"{failed} bound(s) not met." if failed else "Every bound met.", ""]))
    return summary


def bounds_failed(summary: Path) -> bool:
    return "Every bound met." not in summary.read_text()


def _load(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


def _said(holds: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "not measured"}[holds]
