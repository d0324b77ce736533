"""A map's outputs, in its folder: map.png (the heatmap), map.csv (one row per point: its runs'
shares of each verdict, their majority and the model's), and report.md / report.html with
both, the time it took, and how often the model agreed with the measured majority.

The model is judged on the cells that are not next to the measured boundary: there the
verdict is a coin toss by nature (the OSDI'22 artifact and moonpool both found the edge is a
probability, not a line), and a cell's K seeds only estimate its share.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import markdown

from experiments.hysteresis_plot import save
from experiments.map_plot import draw_map, measured_boundary
from experiments.map_run import MapRun, Predict, cell_scenario
from experiments.map_spec import AXES
from experiments.map_store import VERDICTS, majority, shares
from experiments.report import CSS
from experiments.report_text import text
from experiments.results_io import write_text_atomic


@dataclass(frozen=True)
class Agreement:
    judged: int  # grid cells not next to the boundary, with a prediction and a measured majority
    agreed: int

    @property
    def share(self) -> float | None:
        return self.agreed / self.judged if self.judged else None


def next_to_boundary(run: MapRun) -> set[tuple[float, float]]:
    """Grid cells with a neighbour (in x or y) whose majority is on the other side of the line."""
    xs, ys = run.plan.spec.x.values(), run.plan.spec.y.values()
    side = {(x, y): majority(run.store.cell(x, y)) for x in xs for y in ys}
    near = set()
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            for ni, nj in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if 0 <= ni < len(xs) and 0 <= nj < len(ys):
                    a, b = side[(x, y)], side[(xs[ni], ys[nj])]
                    if a is not None and b is not None and (a == "metastable") != (b == "metastable"):
                        near.add((x, y))
    return near


def predictions(run: MapRun, predict: Predict | None) -> dict[tuple[float, float], str]:
    """The model's verdict for each point measured (its first seed's scenario), or the ones its
    runs recorded when no model is given."""
    found = {}
    for x, y in run.store.points():
        if predict is not None:
            verdict = predict(cell_scenario(run.plan, x, y, 0, run.time_scale))
        else:
            verdict = next((row.predicted for row in run.store.cell(x, y) if row.predicted), None)
        if verdict:
            found[(x, y)] = verdict
    return found


def agreement(run: MapRun, predicted: dict[tuple[float, float], str]) -> Agreement:
    near, judged, agreed = next_to_boundary(run), 0, 0
    for x in run.plan.spec.x.values():
        for y in run.plan.spec.y.values():
            key, measured = (round(x, 6), round(y, 6)), majority(run.store.cell(x, y))
            if (x, y) in near or key not in predicted or measured is None:
                continue
            judged += 1
            agreed += predicted[key] == measured
    return Agreement(judged, agreed)


def write_map_outputs(run: MapRun, predict: Predict | None = None, predicted_boundary=None) -> Path:
    """Writes map.png, map.csv and the report into the map's folder; returns report.md."""
    folder, plan, store = run.folder, run.plan, run.store
    predicted = predictions(run, predict)
    save(draw_map(plan, store, predicted_boundary), folder / "map.png")
    write_text_atomic(folder / "map.csv", _points_csv(run, predicted))
    found = agreement(run, predicted)
    runs = list(store.rows.values())
    per_run = sum(row.seconds for row in runs) / len(runs) if runs else None
    boundary = measured_boundary(plan, store)
    table = "\n".join([
        "| figure | value |", "| --- | --- |",
        f"| runs | {len(runs)} ({sum(r.verdict == 'failed' for r in runs)} failed) |",
        f"| this invocation's wall time | {run.seconds:.0f} s |",
        f"| mean time per run (one seed of a cell) | {_seconds(per_run)} |",
        f"| model agreement off the boundary | {_agreement(found)} |",
        f"| measured boundary ({plan.spec.x.vary} -> {plan.spec.y.vary}) | "
        f"{', '.join(f'{x:g} -> {y:.3g}' for x, y in boundary) or 'no change of majority'} |",
    ])
    report = "\n\n".join([
        f"# Map {text(plan.spec.name)}",
        text(f"The scenario {plan.spec.scenario} with {AXES[plan.spec.x.vary]} across and "
             f"{AXES[plan.spec.y.vary]} up; {plan.spec.seeds} seeds per cell, each run judged on its own "
             "(stable, recovered, metastable), no operator actions: whether the system comes back by "
             "itself."),
        "![map](map.png)",
        text("Each cell shows its share of metastable runs (its count written in it); black dots are the "
             "bisection's extra points between cells whose majorities differ; the black line is the "
             "measured boundary, the dashed one the model's."),
        "## Figures", table,
        "## Cells",
        "map.csv: one row per point, with each verdict's share, the majority and the model's verdict.",
    ]) + "\n"
    write_text_atomic(folder / "report.md", report)
    body = markdown.markdown(report.replace("](map.png)", f"]({_data_uri(folder / 'map.png')})"),
                             extensions=["tables"])
    write_text_atomic(folder / "report.html", f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                                              f"<title>{plan.spec.name}</title><style>{CSS}</style></head>"
                                              f"<body>{body}</body></html>\n")
    return folder / "report.md"


def _points_csv(run: MapRun, predicted: dict[tuple[float, float], str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([run.plan.spec.x.vary, run.plan.spec.y.vary, "runs", *VERDICTS, "majority", "predicted",
                     "next_to_boundary"])
    near = next_to_boundary(run)
    for x, y in run.store.points():
        rows = run.store.cell(x, y)
        share = shares(rows)
        writer.writerow([x, y, len(rows), *(round(share.get(v, 0.0), 3) for v in VERDICTS), majority(rows),
                         predicted.get((x, y), ""), (x, y) in near])
    return out.getvalue()


def _agreement(found: Agreement) -> str:
    if found.share is None:
        return "not judged (no predictions, or every cell is next to the boundary)"
    return f"{found.agreed} of {found.judged} cells ({100 * found.share:.0f}%)"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _data_uri(path: Path) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
