"""How a run's end waits for Prometheus's last scrape (experiments/recording.py)."""

import pytest

from experiments.recording import LAST_SCRAPE_SECONDS, OLDEST_SCRAPE, await_last_scrape


class FakeTime:
    def __init__(self, now: float):
        self.now = now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def scraped_every(time: FakeTime, last_scrapes: list[float], interval: float = 2.0):
    """Prometheus's answer: each target's latest scrape, targets scraped every ``interval``."""
    asked = []

    def query(promql: str) -> float:
        asked.append(promql)
        latest = [first + ((time.now - first) // interval) * interval for first in last_scrapes]
        return min(latest)

    return query, asked


def test_the_wait_ends_once_the_slowest_target_has_been_scraped_after_the_moment():
    time = FakeTime(1000.0)
    # last scraped at 999.5, 998.6 and 999.2: next at 1001.5, 1000.6 and 1001.2
    query, asked = scraped_every(time, [999.5, 998.6, 999.2])
    waited = await_last_scrape(query, 1000.0, clock=time.clock, sleep=time.sleep)
    assert waited == pytest.approx(1.5)  # the first poll once the last of them is in, not the 3 s bound
    assert set(asked) == {OLDEST_SCRAPE}


def test_a_failing_or_empty_prometheus_leaves_the_bound_to_run_out():
    time = FakeTime(1000.0)

    def broken(promql):
        raise ConnectionError("refused")

    assert await_last_scrape(broken, 1000.0, clock=time.clock, sleep=time.sleep) == pytest.approx(LAST_SCRAPE_SECONDS)
    assert await_last_scrape(lambda promql: None, time.now, clock=time.clock,
                             sleep=time.sleep) == pytest.approx(LAST_SCRAPE_SECONDS)


def test_a_target_that_stopped_being_scraped_cannot_hold_the_run_past_the_bound():
    time = FakeTime(1000.0)
    waited = await_last_scrape(lambda promql: 900.0, 1000.0, clock=time.clock, sleep=time.sleep)
    assert waited == pytest.approx(LAST_SCRAPE_SECONDS)
