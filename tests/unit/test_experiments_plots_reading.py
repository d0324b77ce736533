"""What each plot tells a newcomer without the report's text: one unit per axis (the series'
own), the verdict's down line, the clients' timeout and deadline, the device's limits, and
captions that say how to read what is unusual (100 ms slots, refused attempts)."""

from pathlib import Path

import pytest
from matplotlib.text import Text

from experiments.figures import BY_NAME as FIGURES
from experiments.plot_frame import CAPTION_GID
from experiments.plots import PLOTS, PLOTS_BY_NAME, draw_figure
from experiments.results_io import read_series_csv
from experiments.run_record import load_record
from stormlab_common.queries import BY_NAME as SERIES
from tests.unit.experiments_support import RUN, collapse_series

ROOT = Path(__file__).resolve().parents[2]
STORM = ROOT / "tests/unit/runs/retry-storm-ci"  # a real run of the CI rehearsal's matrix
PREFIXES = {"M": 1e-6, "": 1.0}


@pytest.fixture(scope="module")
def storm():
    record = load_record(STORM)
    return record, read_series_csv(STORM / record.artifacts.series)


def unit_of(series: str) -> str | None:
    """The unit a recorded series has where it is defined (capacity: the figure's)."""
    family = series if series in SERIES else series.split(":", 1)[0] + ":"
    if family in SERIES:
        return SERIES[family].unit
    return FIGURES[series].unit if series in FIGURES else None


def test_every_axis_has_one_unit_the_unit_of_every_series_on_it():
    checked = 0
    for plot in PLOTS:
        for panel in plot.panels:
            for line in panel.lines:
                unit = unit_of(line.series)
                if unit is None:  # the 100 ms series: their panels say "per 100 ms" (below)
                    continue
                prefix = next(p for p, scale in PREFIXES.items() if scale == line.scale)
                shown = f"{prefix}{unit}"
                named = panel.ylabel.startswith(shown) or f"({shown}" in panel.ylabel
                assert (unit == "ratio") if panel.percent else named, (plot.name, line.series, panel.ylabel)
                checked += 1
    assert checked >= 20


def test_capacity_is_drawn_in_attempts_beside_the_offered_load_and_requests_apart():
    top, bottom = PLOTS_BY_NAME["load"].panels
    assert {unit_of(line.series) for line in bottom.lines} == {"attempts/s"}
    assert {unit_of(line.series) for line in top.lines} == {"req/s"}
    figure = draw_figure(PLOTS_BY_NAME["load"], RUN, collapse_series())
    legend = [t.get_text().replace("\n", " ") for t in figure.axes[1].get_legend().get_texts()]
    assert any("device capacity (100 attempts/s" in label for label in legend)
    assert not any("req/s" in label for label in legend)


def lines_at(ax) -> set[float]:
    """The heights of the panel's horizontal lines (references, and limits that did not change)."""
    return {round(float(line.get_ydata()[0]), 6) for line in ax.get_lines() if len(set(line.get_ydata())) == 1}


def test_the_load_plot_draws_the_verdicts_down_line():
    figure = draw_figure(PLOTS_BY_NAME["load"], RUN, collapse_series())
    line = RUN.scenario.raw["verdict"]["down_fraction"] * RUN.figures["baseline_goodput"].value
    assert round(line, 6) in lines_at(figure.axes[0])
    legend = " ".join(t.get_text() for t in figure.axes[0].get_legend().get_texts()).replace("\n", " ")
    assert f"({line:g} req/s)" in legend


def test_latency_shows_the_clients_attempt_timeout_and_deadline(storm):
    record, series = storm
    profiles = record.scenario.raw["clients"]["config"]["clients"].values()
    figure = draw_figure(PLOTS_BY_NAME["latency"], record, series)
    expected = {max(p["attempt_timeout_seconds"] for p in profiles), max(p["deadline_seconds"] for p in profiles)}
    assert expected <= lines_at(figure.axes[0])
    assert figure.axes[0].get_yscale() == "log"


def caption(figure) -> str:
    return " ".join(t.get_text() for t in figure.findobj(Text) if t.get_gid() == CAPTION_GID).replace("\n", " ")


def test_connections_say_refused_attempts_never_become_active_and_show_the_backlog(storm):
    record, series = storm
    figure = draw_figure(PLOTS_BY_NAME["connections"], record, series)
    limit = record.scenario.raw["topology"]["devices"]["border"]["connections"]
    assert "Refused attempts never become active connections" in caption(figure)
    assert f"at most {limit['new_per_second']} connections per second" in caption(figure)
    assert f"for at most {limit['backlog_timeout_seconds']} s" in caption(figure)
    counts = figure.axes[1]
    labels = [t.get_text().replace("\n", " ") for t in counts.get_legend().get_texts()]
    assert labels[0] == "waiting in the setup backlog"
    # The table's limit would flatten the backlog and the active connections into the floor:
    # it is named, not drawn, and the axis stays at the scale of the data.
    assert any(f"({limit['max_active']:,}): far above this scale" in label for label in labels)
    assert counts.get_ylim()[1] < limit["max_active"] / 2
    waiting = max(v for _, v in series["waiting_connections"])
    assert counts.get_ylim()[1] >= waiting


def test_a_limit_near_the_data_is_drawn():
    series = collapse_series()  # a table of 500 beside 500 active connections
    figure = draw_figure(PLOTS_BY_NAME["connections"], RUN, series)
    assert max(v for _, v in series["active_connections_limit"]) in lines_at(figure.axes[1])


def test_the_burst_plot_explains_its_100_ms_slots(storm):
    record, series = storm
    figure = draw_figure(PLOTS_BY_NAME["burst"], record, series)
    assert "one 100 ms slot" in caption(figure) and "count x 10" in caption(figure)
    assert all("per 100 ms" in ax.get_ylabel() for ax in figure.axes)
    start, end = figure.axes[0].get_xlim()
    fine = [t for t, _ in series["connection_arrivals_fine"]]
    assert start < min(fine) and max(fine) < end < record.timeline[-1].executed_seconds  # zoomed on them


def test_bandwidth_is_drawn_in_megabytes_and_says_what_setup_work_costs(storm):
    record, series = storm
    figure = draw_figure(PLOTS_BY_NAME["bandwidth"], record, series)
    drawn = max(max(line.get_ydata()) for line in figure.axes[0].get_lines()[-2:])
    assert drawn == pytest.approx(max(v for _, v in series["device_bandwidth_limit_downstream"]) * 1e-6)
    cost = record.scenario.raw["topology"]["devices"]["border"]["connections"]["setup_cost_bytes"]
    assert f"{cost:,} bytes of this same budget" in caption(figure)


def test_without_a_record_the_plots_still_draw_and_leave_out_what_they_cannot_know():
    figure = draw_figure(PLOTS_BY_NAME["latency"], None, collapse_series())
    assert lines_at(figure.axes[0]) == set()  # no timeout or deadline known
    assert "its deadline" in caption(figure)
