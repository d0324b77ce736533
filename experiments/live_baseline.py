"""A run's baseline goodput while the run goes, as its record will define it.

The record's ``baseline_goodput`` is the mean goodput over the ``before`` window
(experiments/figures.py), on the goodput series the runner records (experiments/recording.py).
This reads that very series from Prometheus and evaluates that very row of the figures'
table: while the window is open, over the part of it seen so far (``provisional``); once it
has closed and its last scrape has landed, over all of it (``final``), which is then the
number the record, the report and the verdict give.
"""

from __future__ import annotations

from collections.abc import Callable

from experiments.figures import AGGREGATIONS, BY_NAME, WINDOWS
from experiments.recording import LAST_SCRAPE_SECONDS, RATE_WINDOW, STEP_SECONDS, series_of
from experiments.series_math import Series
from stormlab_common.queries import BY_NAME as QUERIES

FIGURE = BY_NAME["baseline_goodput"]
RETRY_SECONDS = 5.0  # after a read that failed or found nothing: the timeline's clock waits on a query


def record_baseline(scenario, goodput: Series, until: float | None = None) -> float | None:
    """``baseline_goodput`` as figures.py computes it from ``goodput``; with ``until``, over the
    window's part up to then."""
    series = {FIGURE.series[0]: goodput}
    start, end = WINDOWS[FIGURE.window][1](scenario, series)
    window = (start, end if until is None else min(end, until))
    return AGGREGATIONS[FIGURE.how][1](scenario, [goodput], window)


class LiveBaseline:
    """``query_range``: lab.query_range; ``started_wall``: the timeline clock's start."""

    def __init__(self, scenario, query_range: Callable[..., list[dict]] | None):
        self.scenario, self._query_range = scenario, query_range
        self.started_wall: float | None = None
        self.window = WINDOWS[FIGURE.window][1](scenario, {})
        self.value: float | None = None
        self.final = False
        self._retry_at = 0.0

    def due(self, elapsed: float, status_line: bool) -> bool:
        """Whether to read now: for a status line while it is provisional, and as soon as the
        window has closed and its last scrape landed."""
        if self.final or self._query_range is None or self.started_wall is None or elapsed < self._retry_at:
            return False
        return status_line or elapsed >= self.window[1] + LAST_SCRAPE_SECONDS

    def read(self, elapsed: float) -> bool:
        """Reads it again; True when this read made it final. A failed read leaves the last
        value standing (the console shows it, the run goes on) and is tried again later."""
        closed = elapsed >= self.window[1] + LAST_SCRAPE_SECONDS
        try:
            goodput = self._goodput(self.window[1] if closed else elapsed)
        except Exception:  # a lost query keeps the last value; never a failed run
            self._retry_at = elapsed + RETRY_SECONDS
            return False
        value = record_baseline(self.scenario, goodput, None if closed else elapsed)
        if value is None:  # no goodput recorded yet: nothing to say, and no hurry to ask again
            self._retry_at = elapsed + RETRY_SECONDS
            return False
        self.value, self.final = value, closed
        return self.final

    def _goodput(self, until: float) -> Series:
        promql = QUERIES[FIGURE.series[0]].expression(RATE_WINDOW)
        answer = self._query_range(promql, self.started_wall, self.started_wall + until, STEP_SECONDS)
        return series_of(answer[0]["values"], self.started_wall) if answer else []
