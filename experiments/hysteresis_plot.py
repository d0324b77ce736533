"""The hysteresis loop drawn: goodput against offered load, both as fractions of the device's
capacity, the rising branch and the falling branch in two colours, a model's prediction
beside them, and the two loads where the loop turns marked on the x axis.

One loop per picture (``draw_loop``), or several policies' loops over each other
(``draw_overlay``), each policy one colour, rising solid and falling dashed. matplotlib's
object API on the Agg canvas, as in experiments/plots.py: nothing opens a window.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.hysteresis_loop import Loop, Point
from experiments.results_io import write_bytes_atomic

RISING, FALLING, MODEL = "tab:blue", "tab:red", "dimgray"
POLICY_COLOURS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")
DPI = 100


@dataclass(frozen=True)
class Prediction:
    """A model's branches: (offered load, goodput) pairs, fractions of capacity."""

    rising: Sequence[tuple[float, float]]
    falling: Sequence[tuple[float, float]]
    source: str = "model"


def draw_loop(title: str, loop: Loop, prediction: Prediction | None = None, *,
              attempts_per_request: float | None = None) -> Figure:
    figure, ax = _canvas()
    for branch, colour, words in (("rising", RISING, "load rising"), ("falling", FALLING, "load falling")):
        xs, ys = _xy(loop.branch(branch))
        ax.plot(xs, ys, "o-", color=colour, label=f"measured, {words}", zorder=3)
    if prediction is not None:
        for pairs, style, words in ((prediction.rising, "-", "rising"),
                                    (prediction.falling, "--", "falling")):
            if pairs:
                ax.plot(*zip(*pairs, strict=True), style, color=MODEL, lw=1.2,
                        label=f"{prediction.source}, {words}")
    _guides(ax, loop, attempts_per_request)
    ax.set_title(title + "\n" + textwrap.fill(_caption(loop), 95), loc="left", fontsize=10)
    _finish(figure, ax)
    return figure


def draw_overlay(title: str, loops: dict[str, Loop]) -> Figure:
    """Several policies' loops on one picture: how wide each one is, side by side."""
    figure, ax = _canvas()
    for (policy, loop), colour in zip(loops.items(), POLICY_COLOURS, strict=False):
        for branch, style in (("rising", "o-"), ("falling", "s--")):
            xs, ys = _xy(loop.branch(branch))
            ax.plot(xs, ys, style, color=colour, ms=4, label=f"{policy}, {branch} ({_width(loop)})")
    ax.plot([0, 1], [0, 1], ":", color="black", lw=0.8, label="goodput = offered load")
    ax.set_title(title, loc="left")
    _finish(figure, ax)
    return figure


def save(figure: Figure, path: Path) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    write_bytes_atomic(Path(path), buffer.getvalue())


def _canvas() -> tuple[Figure, object]:
    figure = Figure(figsize=(9, 5.5), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def _xy(points: list[Point]) -> tuple[list[float], list[float]]:
    kept = [(p.offered, p.goodput) for p in points if p.offered is not None and p.goodput is not None]
    return [x for x, _ in kept], [y for _, y in kept]


def _guides(ax, loop: Loop, attempts: float | None) -> None:
    ax.plot([0, 1], [0, 1], ":", color="black", lw=0.8, label="goodput = offered load (nothing lost)")
    ax.axvline(1.0, color="black", lw=0.8, ls="-.", label="the device's capacity")
    if attempts and attempts > 1:
        ax.axvline(1 / attempts, color="tab:gray", lw=0.8, ls="-.",
                   label=f"capacity / {attempts:g} attempts per request")
    turns = ((loop.collapse_load, "collapse", RISING), (loop.recovery_load, "recovery", FALLING))
    for load, words, colour in turns:
        if load is not None:
            ax.axvline(load, color=colour, lw=2, alpha=0.35, label=f"{words}_load {load:.2f}")


def _caption(loop: Loop) -> str:
    return ("One point per level of offered load, the mean over its settled part; both axes in "
            f"fractions of the device's capacity. Loop width {_width(loop)}.")


def _width(loop: Loop) -> str:
    width = loop.width
    if loop.collapse_load is None:
        return "none: no collapse"
    return "beyond the ramp: never came back" if width is None else f"{width:.2f} of capacity"


def _finish(figure: Figure, ax) -> None:
    ax.set_xlabel("offered load: the clients' first tries / the device's capacity")
    ax.set_ylabel("goodput / the device's capacity")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.95))
