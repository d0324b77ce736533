"""Plots read at a glance: on real runs, measured by matplotlib itself after drawing, no
name of an event or a window overlaps another, none is cut off or drawn over the data, and
every text (title, caption, legend) lies whole inside the picture.

The runs: the committed example (full length, an operator's actions, two of them 12 ms
apart) and two runs of the CI rehearsal's matrix at time scale 0.5 (tests/unit/runs/: a
storm that stays collapsed, and the remediation, its events twice as close together).
"""

from itertools import combinations
from pathlib import Path

import pytest
from matplotlib.text import Text

from experiments.plot_frame import CAPTION_GID, LABEL_GID, TITLE_GID
from experiments.plot_labels import GAP, Span, rows
from experiments.plots import PLOTS, draw_figure
from experiments.results_io import read_series_csv
from experiments.run_record import load_record

ROOT = Path(__file__).resolve().parents[2]
RUNS = {"example": ROOT / "docs" / "example-report", "storm at CI scale": ROOT / "tests/unit/runs/retry-storm-ci",
        "remediation at CI scale": ROOT / "tests/unit/runs/retry-storm-remediation-ci"}


def drawn(run_dir: Path):
    record = load_record(run_dir)
    series = read_series_csv(run_dir / record.artifacts.series)
    for plot in PLOTS:
        figure = draw_figure(plot, record, series)
        if figure is not None:
            figure.canvas.draw()
            yield record, plot, figure


@pytest.fixture(scope="module", params=list(RUNS), ids=list(RUNS))
def figures(request):
    return list(drawn(RUNS[request.param]))


def box(text: Text, figure):
    # The text's own box: an event's name is an annotation, whose extent would include its line.
    return Text.get_window_extent(text, figure.canvas.get_renderer())


def by_gid(figure, gid: str) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_gid() == gid and t.get_text()]


def apart(a, b) -> bool:
    return a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0


def test_every_plot_of_every_run_is_drawn(figures):
    assert {plot.name for _, plot, _ in figures} == {plot.name for plot in PLOTS}


def test_no_two_event_or_window_names_overlap(figures):
    for _, plot, figure in figures:
        labels = by_gid(figure, LABEL_GID)
        assert labels, plot.name
        for a, b in combinations(labels, 2):
            assert apart(box(a, figure), box(b, figure)), f"{plot.name}: {a.get_text()!r} over {b.get_text()!r}"


def test_names_sit_whole_above_the_top_panel_and_under_the_caption(figures):
    for _, plot, figure in figures:
        top = figure.axes[0].bbox
        blocks = [box(t, figure) for t in by_gid(figure, CAPTION_GID) + by_gid(figure, TITLE_GID)]
        for label in by_gid(figure, LABEL_GID):
            extent = box(label, figure)
            where = f"{plot.name}: {label.get_text()!r}"
            assert top.x0 - 0.5 <= extent.x0 and extent.x1 <= top.x1 + 0.5, f"{where} runs past the axes"
            assert extent.y0 >= top.y1, f"{where} is drawn over the data"
            assert all(apart(extent, block) for block in blocks), f"{where} is under the caption or title"


def inside(extent, picture) -> bool:
    return (picture.x0 <= extent.x0 and extent.x1 <= picture.x1 and picture.y0 <= extent.y0
            and extent.y1 <= picture.y1)


def test_every_text_lies_whole_inside_the_picture(figures):
    for _, plot, figure in figures:
        renderer = figure.canvas.get_renderer()
        axes = [axis for ax in figure.axes for axis in (ax.xaxis, ax.yaxis)]
        # Tick labels are kept for ticks out of view too: the axes' drawn ones are judged whole.
        ticks = {id(label) for axis in axes for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                 for label in (tick.label1, tick.label2)}
        for extent in filter(None, (axis.get_tightbbox(renderer) for axis in axes)):  # None: nothing shown
            assert inside(extent, figure.bbox), f"{plot.name}: an axis is cut off"
        for text in figure.findobj(Text):
            if id(text) not in ticks and text.get_visible() and text.get_text().strip():
                assert inside(box(text, figure), figure.bbox), f"{plot.name}: {text.get_text()!r} is cut off"


def test_every_event_of_the_timeline_is_named_once(figures):
    for record, plot, figure in figures:
        shown = " | ".join(t.get_text() for t in by_gid(figure, LABEL_GID))
        start, end = figure.axes[0].get_xlim()
        for event in record.timeline:
            if start <= event.executed_seconds <= end:
                assert shown.count(event.name) >= 1, f"{plot.name}: {event.name!r} not named"
        names = [part for t in by_gid(figure, LABEL_GID) for part in t.get_text().split(" + ")]
        assert len(names) == len(set(names)), f"{plot.name}: a name drawn twice"


def test_each_window_that_partitions_the_run_is_named_and_those_lying_over_them_are_not(figures):
    for record, plot, figure in figures:
        start, end = figure.axes[0].get_xlim()
        names = {t.get_text().split(" (")[0] for t in by_gid(figure, LABEL_GID)}
        earlier: list[tuple[float, float]] = []
        for name, (lo, hi) in record.windows.items():
            over = any(lo < e_hi and e_lo < hi for e_lo, e_hi in earlier)
            if hi > lo and not over:
                earlier.append((lo, hi))
            if hi > lo and lo < end and hi > start:
                assert (name in names) != over, f"{plot.name}: window {name!r}"


def test_events_on_the_same_pixels_share_one_name():
    record, _, figure = next(drawn(RUNS["example"]))
    first, second = [e for e in record.timeline if e.kind == "action"][-2:]  # 12 ms apart
    assert second.executed_seconds - first.executed_seconds < 0.1
    names = [t.get_text() for t in by_gid(figure, LABEL_GID)]
    assert f"{first.name} + {second.name}" in names


# --- the rows themselves ----------------------------------------------------------------------

def test_spans_that_would_touch_go_to_different_rows():
    assert rows([Span(0, 50), Span(50 + GAP / 2, 90), Span(100, 120)]) == [0, 1, 0]


def stem_crossings(spans: list[Span], placed: list[int]) -> list[tuple[Span, Span]]:
    """(stem, name) for each line that passes through a name in a row below its own."""
    return [(stem, name) for stem, stem_row in zip(spans, placed, strict=True) if stem.stem is not None
            for name, name_row in zip(spans, placed, strict=True)
            if name_row < stem_row and name.left - GAP < stem.stem < name.right + GAP]


def test_a_stem_never_passes_through_a_name_when_a_row_keeps_it_clear():
    # Flags to the right, placed right to left as the plots place them: an event at 40, then
    # one at 10 whose name reaches 45; it goes above, its line passing clear of the first.
    spans = [Span(40, 70, stem=40), Span(10, 45, stem=10)]
    assert rows(spans) == [0, 1]
    # A name placed afterwards where row 0 is free of text but that line passes: it goes higher.
    spans.append(Span(5, 20))
    placed = rows(spans)
    assert placed == [0, 1, 2]
    assert stem_crossings(spans, placed) == []


def test_when_no_row_keeps_a_stem_clear_names_still_never_overlap():
    wide = Span(0, 100)  # a name over the whole width, in row 0: every stem must pass it
    placed = rows([wide, Span(20, 40, stem=20), Span(30, 60, stem=30)])
    assert placed[0] == 0 and len(set(placed)) == 3
