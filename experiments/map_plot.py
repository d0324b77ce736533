"""A map drawn: each grid cell's share of metastable runs as a heatmap (its count written in
it), the bisection's extra points as dots of the same colours, the measured boundary, and a
model's predicted boundary beside it. Several maps side by side share one colour scale.
matplotlib's object API on the Agg canvas (experiments/plots.py)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.map_spec import AXES, MapPlan
from experiments.map_store import MapStore, majority, shares

COLOURS = "RdYlGn_r"  # green: none metastable; red: all


Boundary = Sequence[tuple[float, float]]


def draw_map(plan: MapPlan, store: MapStore, predicted: Boundary | None = None) -> Figure:
    figure = Figure(figsize=(8.5, 6), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    image = _draw(ax, plan, store, predicted)
    figure.colorbar(image, ax=ax, label="share of runs metastable")
    figure.tight_layout()
    return figure


def draw_maps(maps: Sequence[tuple[MapPlan, MapStore, Boundary | None]]) -> Figure:
    """Several maps (several policies) side by side, one colour scale."""
    figure = Figure(figsize=(6 * len(maps) + 1.5, 5.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(maps), squeeze=False)[0]
    image = None
    for ax, (plan, store, predicted) in zip(axes, maps, strict=True):
        image = _draw(ax, plan, store, predicted)
    figure.colorbar(image, ax=list(axes), label="share of runs metastable")
    figure.subplots_adjust(bottom=0.2)  # room for the legends under the axes
    return figure


def _draw(ax, plan: MapPlan, store: MapStore, predicted):
    xs, ys = plan.spec.x.values(), plan.spec.y.values()
    grid = [[_metastable(store, x, y) for x in xs] for y in ys]
    image = ax.imshow(grid, origin="lower", cmap=COLOURS, vmin=0, vmax=1, aspect="auto",
                      extent=_extent(xs, ys))
    for y in ys:
        for x in xs:
            rows = store.cell(x, y)
            done = [row for row in rows if row.verdict != "failed"]
            meta = sum(row.verdict == "metastable" for row in done)
            ax.text(x, y, f"{meta}/{len(done)}" if done else "-", ha="center", va="center", fontsize=8)
    extra = [(x, y) for x, y in store.points() if x in [round(v, 6) for v in xs] and y not in
             [round(v, 6) for v in ys]]
    if extra:
        colours = [_metastable(store, x, y) for x, y in extra]
        ax.scatter([x for x, _ in extra], [y for _, y in extra], c=colours, cmap=COLOURS, vmin=0, vmax=1,
                   edgecolors="black", s=60, zorder=3,
                   label="refined (bisection)")
    boundary = measured_boundary(plan, store)
    if boundary:
        ax.plot(*zip(*boundary, strict=True), "ko-", lw=2, ms=7, label="measured boundary (majority)")
    if predicted:
        ax.plot(*zip(*predicted, strict=True), "s--", color="tab:blue", lw=2, ms=6, label="model's boundary")
    ax.set_xlabel(AXES[plan.spec.x.vary])
    ax.set_ylabel(AXES[plan.spec.y.vary])
    ax.set_title(f"{plan.spec.name}: share of runs metastable", loc="left")
    if boundary or predicted or extra:
        # below the axes, never over a cell's count
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=3, fontsize=8, frameon=False)
    return image


def measured_boundary(plan: MapPlan, store: MapStore) -> list[tuple[float, float]]:
    """Per column, the midpoint between the highest y whose majority is not metastable and the
    lowest y above it whose majority is (columns without such a change are left out)."""
    line = []
    for x in plan.spec.x.values():
        ys = sorted(y for px, y in store.points() if px == round(x, 6))
        votes = [(y, majority(store.cell(x, y))) for y in ys]
        for (low, a), (high, b) in itertools.pairwise(votes):
            if a is not None and b is not None and a != "metastable" and b == "metastable":
                line.append((x, (low + high) / 2))
                break
    return line


def _metastable(store: MapStore, x: float, y: float) -> float:
    return shares(store.cell(x, y)).get("metastable", float("nan"))


def _extent(xs: list[float], ys: list[float]) -> tuple[float, float, float, float]:
    def edges(values: list[float]) -> tuple[float, float]:
        half = (values[1] - values[0]) / 2 if len(values) > 1 else 0.5
        return values[0] - half, values[-1] + half

    return (*edges(xs), *edges(ys))
