"""How a run's series are read from Prometheus: one rate window, one step, from the clock's
start, each sample's time in seconds since that start. The runner records every series this
way, and the narration reads its baseline this way, so the baseline the console shows once
the ``before`` window has closed is the one the run's record and report will hold."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from experiments.series_math import Series

RATE_WINDOW = "6s"  # three scrapes at 2 s: steady enough, still quick to show a collapse
STEP_SECONDS = 1.0  # every series, named or a check's query, sampled alike
LAST_SCRAPE_SECONDS = 3  # a moment's last scrape lands in Prometheus this long after it (2 s scrapes)
TAIL_SECONDS = 2  # the range read runs this far past the clock's last reading
LAST_SCRAPE_POLL_SECONDS = 0.25
# Every target's latest sample, by the time of its scrape: once the oldest is past a moment,
# every series holds what was so at that moment.
OLDEST_SCRAPE = "min(timestamp(up))"


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


def await_last_scrape(query: Callable[[str], float | None], moment: float, *,
                      clock: Callable[[], float] = time.time,
                      sleep: Callable[[float], None] = time.sleep) -> float:
    """Waits until Prometheus has scraped every target after ``moment`` (Unix time), at most
    ``LAST_SCRAPE_SECONDS``; returns the seconds waited. ``query``: an instant query's value
    (experiments/clients/prometheus.py). A fixed wait of the whole bound cost every run 3 s;
    this is over at the slowest target's next scrape, ~1 s on average. A query that fails only
    leaves the bound to run out."""
    began = clock()
    while clock() - began < LAST_SCRAPE_SECONDS:
        try:
            oldest = query(OLDEST_SCRAPE)
        except Exception:
            oldest = None
        if oldest is not None and oldest >= moment:
            break
        sleep(LAST_SCRAPE_POLL_SECONDS)
    return clock() - began
