"""How a run's series are read from Prometheus: one rate window, one step, from the clock's
start, each sample's time in seconds since that start. The runner records every series this
way, and the narration reads its baseline this way, so the baseline the console shows once
the ``before`` window has closed is the one the run's record and report will hold."""

from __future__ import annotations

import math

from experiments.series_math import Series

RATE_WINDOW = "6s"  # three scrapes at 2 s: steady enough, still quick to show a collapse
STEP_SECONDS = 1.0  # every series, named or a check's query, sampled alike
LAST_SCRAPE_SECONDS = 3  # a moment's last scrape lands in Prometheus this long after it (2 s scrapes)
TAIL_SECONDS = 2  # the range read runs this far past the clock's last reading


def series_range(started_wall: float, elapsed: float) -> tuple[float, float]:
    """The range every series of a run is read over, as Unix times: from the clock's start to a
    little past ``elapsed`` seconds after it."""
    return started_wall, started_wall + elapsed + TAIL_SECONDS


def series_of(values: list, started_wall: float) -> Series:
    """Prometheus's ``[[unix time, "value"], ...]`` as ``[(seconds since the start, value)]``;
    a value that is not finite is a gap (NaN), left out by every aggregation."""
    return [(round(float(t) - started_wall, 3), _number(v)) for t, v in values]


def _number(value: str) -> float:
    number = float(value)
    return number if math.isfinite(number) else float("nan")
