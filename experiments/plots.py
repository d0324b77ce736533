"""The run's time series drawn as PNG files, one figure per question a reader asks
(experiments/plot_catalogue.py declares them).

Figures are built with matplotlib's object API on the Agg canvas, never through pyplot:
nothing can open a window, and no figure lingers in pyplot's global registry when a
matrix renders dozens of runs in one process.

Every plot shares one frame so runs compare at a glance (experiments/plot_frame.py): x is
seconds since the run started, the timeline's events are vertical lines and its windows
shaded bands, both named above the plot, never over the data. Missing series are skipped;
NaN samples leave gaps rather than made-up values.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Iterable
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from experiments.plot_catalogue import PLOTS, PLOTS_BY_NAME, Line, Panel, Plot, said
from experiments.plot_facts import Facts, run_facts
from experiments.plot_frame import Band, Event, colour_bands, draw_header, draw_timeline
from experiments.results_io import write_bytes_atomic
from experiments.run_record import RunRecord

__all__ = ["PLOTS", "PLOTS_BY_NAME", "draw_figure", "render_plots"]

Series = dict[str, list[tuple[float, float]]]

WIDTH, DPI = 10, 100
PANEL_INCHES, AXIS_INCHES = 2.6, 0.7  # each panel's data area; the x axis's ticks and label under them
LEGEND_ROOM = 0.74  # the axes' share of the width: the legends go beside them, whole
LEGEND_CHARS = 34  # a legend entry's line length, so that it fits in the room beside the axes
OFF_SCALE = 3.0  # a limit this many times above everything else in its panel would flatten it


def render_plots(record: RunRecord | None, series: Series, out_dir: Path) -> dict[str, str]:
    """Draws every plot that has data into out_dir, framed by the record's timeline and
    windows (none without a record); returns {plot name: file name}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    usable = {name: samples for name, samples in series.items() if _has_data(samples)}
    facts = run_facts(record, usable)
    written = {}
    for plot in PLOTS:
        target = out_dir / plot.file
        figure = draw_figure(plot, record, usable, facts)
        if figure is None:
            # A re-render with less data must not leave an earlier, now wrong, picture behind.
            target.unlink(missing_ok=True)
            continue
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        write_bytes_atomic(target, buffer.getvalue())
        written[plot.name] = plot.file
    return written


def draw_figure(plot: Plot, record: RunRecord | None, series: Series,
                facts: Facts | None = None) -> Figure | None:
    """The plot drawn and laid out, or None when it has nothing but limits to show."""
    series = {name: samples for name, samples in series.items() if _has_data(samples)}
    facts = run_facts(record, series) if facts is None else facts
    panels = [(panel, lines) for panel in plot.panels if (lines := _resolve(panel, series))]
    if not any(not line.limit for _, lines in panels for line in lines):
        return None
    figure = Figure(figsize=(WIDTH, AXIS_INCHES + PANEL_INCHES * len(panels)), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    start, end = _time_range(plot, [line for _, lines in panels for line in lines], series, record)
    events = [event for event in _events(record) if start <= event.at <= end]
    bands = colour_bands([Band(b.name, max(b.start, start), min(b.end, end)) for b in _bands(record)
                          if b.end > start and b.start < end])
    for ax, (panel, lines) in zip(axes, panels, strict=True):
        draw_timeline(ax, bands, events)
        _draw_panel(ax, panel, lines, series, facts)
        ax.set_xlim(start, end)
    axes[-1].set_xlabel("seconds since the run started (s)")
    figure.tight_layout(rect=(0, 0, LEGEND_ROOM, 1))
    base = figure.get_figheight()
    header = draw_header(figure, axes[0], plot.title, plot.caption(facts), bands, events) / DPI
    figure.set_size_inches(WIDTH, base + header)
    # The axes keep their height; the header takes the room added above them.
    figure.tight_layout(rect=(0, 0, LEGEND_ROOM, base / (base + header)))
    return figure


def _has_data(samples: Iterable) -> bool:
    return any(_finite(value) for _, value in samples)


def _finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _resolve(panel: Panel, usable: Series) -> list[Line]:
    """The panel's lines that have data, prefix lines (``goodput:``) expanded into one per series."""
    lines = []
    for line in panel.lines:
        if line.series.endswith(":"):
            lines += [Line(name, line.label.format(name[len(line.series):]), style=line.style)
                      for name in sorted(usable) if name.startswith(line.series)]
        else:
            lines.append(line)
    return [line for line in lines if line.series in usable]


def _events(record: RunRecord | None) -> list[Event]:
    """Each timeline event, when it ran; the trigger says it is one. A ramp's levels are not
    named one by one (dozens of them): the offered load draws the staircase, the bands its two
    branches."""
    if record is None:
        return []
    return [Event(event.executed_seconds, ("trigger: " if event.kind == "trigger" else "")
                  + (event.name or event.action or "event"), event.ok) for event in record.timeline
            if event.kind != "level" or not event.ok]


def _bands(record: RunRecord | None) -> list[Band]:
    """The analysis windows that partition the run, in order. A window that spans no time (an
    action followed at once by the next) or lies over one already drawn (recovery, final:
    parts of the last one) is left out: stacked shades read as more windows than there are."""
    if record is None:
        return []
    kept: list[Band] = []
    for name, (start, end) in record.windows.items():
        if end > start and not any(start < band.end and band.start < end for band in kept):
            kept.append(Band(name, start, end))
    return kept


def _time_range(plot: Plot, lines: list[Line], series: Series,
                record: RunRecord | None) -> tuple[float, float]:
    if plot.zoom_to in series and len(series[plot.zoom_to]) > 1:
        times = [t for t, _ in series[plot.zoom_to]]
        return min(times) - 1.0, max(times) + 1.0
    ends = [t for line in lines for t, _ in series[line.series]] + [1.0]
    if record is not None:
        ends += [end for _, end in record.windows.values()] + [e.executed_seconds for e in record.timeline]
    return 0.0, max(ends)


def _draw_panel(ax, panel: Panel, lines: list[Line], series: Series, facts: Facts) -> None:
    top = max((v * line.scale for line in lines if not line.limit
               for _, v in series[line.series] if _finite(v)), default=0.0)
    for line in lines:
        times = [t for t, _ in series[line.series]]
        values = [v * line.scale if _finite(v) else math.nan for _, v in series[line.series]]
        label = " ".join(part for part in (line.label, said(line.detail, facts)) if part)
        if line.limit and top > 0 and max(v for v in values if _finite(v)) > OFF_SCALE * top:
            # Drawn, it would squeeze the data into the bottom of the panel: the legend names it instead.
            ax.plot([], [], line.style, color=line.colour, label=_wrap(f"{label}: far above this scale"))
            continue
        ax.plot(times, values, line.style, color=line.colour, label=_wrap(label), linewidth=1.5,
                drawstyle="steps-post" if line.limit else "default")
    for reference in panel.references:
        value = reference.value if reference.fact is None else facts.get(reference.fact)
        if value is not None:
            ax.axhline(value, color=reference.colour, linewidth=1.0, linestyle=reference.style,
                       label=_wrap(said(reference.label, facts, value=value)))
    if panel.log and _any_positive(series, lines):
        ax.set_yscale("log", nonpositive="mask")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # 0.01, not 10^-2
    if panel.ylim:
        ax.set_ylim(*panel.ylim)
    elif not panel.log and _non_negative(series, lines):
        ax.set_ylim(bottom=0)  # rates and counts: a floor at zero keeps "down to nothing" visible
    if panel.percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(panel.ylabel)
    ax.grid(True, alpha=0.3)
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False,
                       title=panel.legend_title, title_fontsize="small", alignment="left")
    legend.set_in_layout(False)  # it goes in the room LEGEND_ROOM leaves, not in the layout's sums


def _wrap(label: str) -> str:
    return textwrap.fill(label, LEGEND_CHARS)


def _any_positive(series: Series, lines: list[Line]) -> bool:
    # A log axis needs something positive to show; with only zeros it would be empty.
    return any(_finite(v) and v > 0 for line in lines for _, v in series[line.series])


def _non_negative(series: Series, lines: list[Line]) -> bool:
    return all(v >= 0 for line in lines for _, v in series[line.series] if _finite(v))
