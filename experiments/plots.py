"""The run's time series drawn as PNG files, one figure per question a reader asks.

Figures are built with matplotlib's object API on the Agg canvas, never through pyplot:
nothing can open a window, and no figure lingers in pyplot's global registry when a
matrix renders dozens of runs in one process.

Every plot shares one frame so runs compare at a glance: x is seconds since the run
started, the timeline's events are vertical lines, the analysis windows are shaded.
Missing series are skipped; NaN samples leave gaps rather than made-up values.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from experiments.results_io import write_bytes_atomic
from experiments.run_record import RunRecord

Series = dict[str, list[tuple[float, float]]]

WIDTH, HEIGHT, DPI = 10, 4, 100
LEGEND_ROOM = (0, 0, 0.74, 1)  # the axes' share of the figure: the legends go beside them, whole
WINDOW_COLOURS = {"before": "tab:blue", "during": "tab:red", "after": "tab:green"}


@dataclass(frozen=True)
class Line:
    series: str  # a series name, or a prefix ending in ':' meaning "every series under it"
    label: str
    colour: str | None = None
    style: str = "-"
    limit: bool = False  # a device limit: drawn as steps, and alone it is no reason to plot


@dataclass(frozen=True)
class Panel:
    ylabel: str
    lines: tuple[Line, ...]
    log: bool = False
    ylim: tuple[float, float] | None = None
    reference: float | None = None  # a horizontal line, e.g. amplification 1
    reference_label: str = ""


@dataclass(frozen=True)
class Plot:
    name: str
    title: str
    look_for: str  # one sentence for the report: what this plot shows in a healthy/bad run
    panels: tuple[Panel, ...] = field(default_factory=tuple)
    zoom_to: str | None = None  # show only the time this series covers (a short, dense one)

    @property
    def file(self) -> str:
        return f"{self.name}.png"


PLOTS: tuple[Plot, ...] = (
    Plot("load", "Offered load, goodput and device capacity",
         "A metastable run shows offered load staying far above demand and capacity while goodput "
         "stays near zero long after the trigger ends; a stable one shows both return to baseline.",
         (Panel("requests per second (req/s)", (
             Line("offered_load", "offered load (attempts/s)", "tab:red"),
             Line("demand", "demand (logical requests/s)", "tab:gray"),
             Line("goodput", "goodput (successful requests/s)", "tab:green"),
             Line("capacity", "device capacity (req/s)", "black", "--", limit=True))),)),
    Plot("goodput_by_target", "Goodput by target",
         "Which targets lost their goodput, and whether one (e.g. DNS after it moved off the "
         "congested path) recovered while the others did not.",
         (Panel("successful requests per second (req/s)", (Line("goodput:", "{}"),)),)),
    Plot("latency", "Request latency",
         "Latency climbing to the client timeout means attempts are being abandoned; "
         "a p99 pinned at the timeout after the trigger is the retry loop at work.",
         (Panel("latency (s, log scale)", (
             Line("latency_p50", "p50", "tab:blue"),
             Line("latency_p99", "p99", "tab:purple")), log=True),)),
    Plot("amplification", "Retry amplification",
         "Attempts per logical request: 1 means no retries; a value that stays high after the "
         "trigger is the sustaining feedback loop.",
         (Panel("attempts per logical request", (
             Line("retry_amplification", "retry amplification", "tab:orange"),),
             reference=1.0, reference_label="1 (no retries)"),)),
    Plot("connections", "Connection activity vs the device's limit",
         "New connections arriving above the device's setup limit are turned away, and each "
         "refusal makes a client retry with yet another connection.",
         (Panel("connections per second (/s)", (
             Line("connection_attempts", "connection attempts (/s)", "tab:red"),
             Line("connections_turned_away", "turned away (/s)", "tab:orange"),
             Line("connection_setup_limit", "setup limit (/s)", "black", "--", limit=True))),
          Panel("connections", (
              Line("active_connections", "active connections", "tab:blue"),
              Line("active_connections_limit", "connection table limit", "black", ":", limit=True))))),
    Plot("burst", "When attempts were sent, and when they reached the device, after the trigger",
         "Sub-second timing that Prometheus's 2 s scrapes would smooth away, per 100 ms. Top: "
         "the clients' own record: the surge's boot wave of first tries, then its retries, in "
         "lockstep waves without jitter and in a lower, flatter band with it. Bottom: the "
         "connections arriving at the device, timed by its kernel at the handshake: the same "
         "waves, as the device met them.",
         (Panel("attempts sent per second (/s)", (
             Line("first_tries_sent_fine", "first tries sent (/s, 100 ms)", "tab:gray"),
             Line("retries_sent_fine", "retries sent (/s, 100 ms)", "tab:orange"))),
          Panel("connection attempts per second (/s)", (
             Line("connection_arrivals_fine", "arrivals at the device (/s, 100 ms)", "tab:red"),
             Line("connection_setup_limit", "setup limit (/s)", "black", "--", limit=True)))),
         zoom_to="connection_arrivals_fine"),
    Plot("operators", "What the operators saw",
         "When the operators' view drops while ground truth still answers, monitoring crossing the "
         "congested devices has gone blind, as it did on 7 December 2021.",
         (Panel("fraction of successful scrapes", (
             Line("operator_view_up", "operator view (through the devices)", "tab:red"),
             Line("ground_truth_up", "ground truth (out of band)", "tab:green", "--")),
             ylim=(-0.05, 1.05)),)),
    Plot("bandwidth", "Device bandwidth, downstream",
         "Whether the link itself was full: congestion with bandwidth to spare points at "
         "connection handling, not bytes, as the bottleneck.",
         (Panel("bytes per second (B/s)", (
             Line("device_bytes_downstream", "bytes downstream (B/s)", "tab:blue"),
             Line("device_bandwidth_limit_downstream", "bandwidth limit (B/s)", "black", "--",
                  limit=True))),)),
    Plot("policy_success", "Success ratio by retry policy",
         "Policies that bound their retries (budgets, breakers, adaptive throttling) should climb "
         "back after the trigger; unbounded ones stay down.",
         (Panel("fraction of logical requests that succeeded", (Line("success_ratio:", "{}"),),
                ylim=(-0.05, 1.05)),)),
)
PLOTS_BY_NAME = {plot.name: plot for plot in PLOTS}


def render_plots(record: RunRecord | None, series: Series, out_dir: Path) -> dict[str, str]:
    """Draws every plot that has data into out_dir, framed by the record's timeline and
    windows (none without a record); returns {plot name: file name}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    usable = {name: samples for name, samples in series.items() if _has_data(samples)}
    events, windows = _events(record), _windows(record)
    written = {}
    for plot in PLOTS:
        target = out_dir / plot.file
        panels = [_resolve(panel, usable) for panel in plot.panels]
        if not any(line.series in usable and not line.limit for _, lines in panels for line in lines):
            # A re-render with less data must not leave an earlier, now wrong, picture behind.
            target.unlink(missing_ok=True)
            continue
        write_bytes_atomic(target, _draw(plot, panels, usable, events, windows))
        written[plot.name] = plot.file
    return written


def _has_data(samples: Iterable) -> bool:
    return any(_finite(value) for _, value in samples)


def _finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _resolve(panel: Panel, usable: Series) -> tuple[Panel, list[Line]]:
    """Expands prefix lines (``goodput:``) into one line per matching series."""
    lines = []
    for line in panel.lines:
        if line.series.endswith(":"):
            lines += [Line(name, line.label.format(name[len(line.series):]), style=line.style)
                      for name in sorted(usable) if name.startswith(line.series)]
        else:
            lines.append(line)
    return panel, [line for line in lines if line.series in usable]


def _events(record: RunRecord | None) -> list[tuple[float, str, bool]]:
    """(seconds, name, ok) for each timeline event, when it ran."""
    if record is None:
        return []
    return [(event.executed_seconds, event.name or event.action or "event", event.ok)
            for event in record.timeline]


def _windows(record: RunRecord | None) -> list[tuple[str, float, float]]:
    """The analysis windows that span some time (an action followed at once by the next has none)."""
    if record is None:
        return []
    return [(name, start, end) for name, (start, end) in record.windows.items() if end > start]


def _draw(plot: Plot, panels: list[tuple[Panel, list[Line]]], series: Series,
          events: list[tuple[float, str, bool]], windows: list[tuple[str, float, float]]) -> bytes:
    panels = [(panel, lines) for panel, lines in panels if lines]
    height = HEIGHT if len(panels) == 1 else HEIGHT * 0.75 * len(panels)
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    drawn = [line.series for _, lines in panels for line in lines]
    start, end = 0.0, max([t for name in drawn for t, _ in series[name]]
                          + [hi for _, _, hi in windows] + [at for at, _, _ in events] + [1.0])
    if plot.zoom_to in series and len(series[plot.zoom_to]) > 1:
        times = [t for t, _ in series[plot.zoom_to]]
        start, end = min(times) - 1.0, max(times) + 1.0
    for index, (ax, (panel, lines)) in enumerate(zip(axes, panels, strict=True)):
        _frame(ax, windows, events, labels=index == 0)
        for line in lines:
            times = [t for t, _ in series[line.series]]
            values = [v if _finite(v) else math.nan for _, v in series[line.series]]
            ax.plot(times, values, line.style, color=line.colour, label=line.label, linewidth=1.5,
                    drawstyle="steps-post" if line.limit else "default")
        if panel.reference is not None:
            ax.axhline(panel.reference, color="black", linewidth=0.8, linestyle=":",
                       label=panel.reference_label)
        if panel.log and _any_positive(series, lines):
            ax.set_yscale("log", nonpositive="mask")
        if panel.ylim:
            ax.set_ylim(*panel.ylim)
        elif not panel.log and _non_negative(series, lines):
            ax.set_ylim(bottom=0)  # rates and counts: a floor at zero keeps "down to nothing" visible
        ax.set_xlim(start, end)
        ax.set_ylabel(panel.ylabel)
        ax.grid(True, alpha=0.3)
        legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
        legend.set_in_layout(False)  # it goes in the room LEGEND_ROOM leaves, not in the layout's sums
    axes[0].set_title(plot.title)
    axes[-1].set_xlabel("seconds since run start (s)")
    figure.tight_layout(rect=LEGEND_ROOM)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _any_positive(series: Series, lines: list[Line]) -> bool:
    # A log axis needs something positive to show; with only zeros it would be empty.
    return any(_finite(v) and v > 0 for line in lines for _, v in series[line.series])


def _non_negative(series: Series, lines: list[Line]) -> bool:
    return all(v >= 0 for line in lines for _, v in series[line.series] if _finite(v))


# Labels of windows and events outside a zoomed plot's range are cut off at the axes rather
# than drawn beside them, and never count in the layout.
INSIDE = {"clip_on": True, "in_layout": False}


def _frame(ax, windows, events, labels: bool) -> None:
    """Shades the analysis windows and marks the timeline's events."""
    top = ax.get_xaxis_transform()  # x in data, y in axes fraction
    for name, lo, hi in windows:
        ax.axvspan(lo, hi, color=WINDOW_COLOURS.get(name, "tab:gray"), alpha=0.07, linewidth=0)
        if labels:
            ax.text(lo, 0.02, f" {name}", transform=top, fontsize="x-small", color="dimgray",
                    va="bottom", ha="left", style="italic", **INSIDE)
    for at, name, ok in events:
        ax.axvline(at, color="dimgray" if ok else "tab:red", linewidth=0.9, linestyle="--")
        if labels:
            ax.text(at, 0.98, f" {name}" + ("" if ok else " (failed)"), transform=top, rotation=90,
                    fontsize="x-small", color="dimgray" if ok else "tab:red", va="top", ha="left",
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1}, **INSIDE)
