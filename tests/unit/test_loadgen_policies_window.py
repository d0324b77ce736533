"""The sliding window the budget, breaker and throttle count in: expiry and bounded memory."""

import pytest

from loadgen.policies.window import SlidingCounts


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_counts_leave_exactly_one_window_after_their_bucket_starts():
    clock = FakeClock()
    counts = SlidingCounts(10, ("a", "b"), clock)
    counts.add("a")
    counts.add("b", 3)
    clock.now = 0.5
    counts.add("a")
    clock.now = 9.999
    assert counts.totals() == {"a": 2, "b": 3}
    clock.now = 10.0
    assert counts.totals() == {"a": 0, "b": 0}


def test_a_later_bucket_outlives_an_earlier_one():
    clock = FakeClock()
    counts = SlidingCounts(5, ("a",), clock)
    counts.add("a")
    clock.now = 3.2
    counts.add("a", 2)
    clock.now = 5.0
    assert counts.totals() == {"a": 2}
    clock.now = 8.0
    assert counts.totals() == {"a": 0}


def test_short_windows_use_finer_buckets():
    clock = FakeClock()
    counts = SlidingCounts(0.5, ("a",), clock)
    counts.add("a")
    clock.now = 0.3
    counts.add("a")
    clock.now = 0.5
    assert counts.totals() == {"a": 1}


def test_memory_is_bounded_however_many_events():
    clock = FakeClock()
    counts = SlidingCounts(10, ("a",), clock)
    for step in range(100_000):
        clock.now = step * 0.01
        counts.add("a")
    assert len(counts) <= 10
    assert counts.totals()["a"] == pytest.approx(1000, abs=100)


def test_a_clock_that_steps_back_counts_into_the_newest_bucket():
    clock = FakeClock()
    clock.now = 100.0
    counts = SlidingCounts(10, ("a",), clock)
    counts.add("a")
    clock.now = 95.0
    counts.add("a")
    assert counts.totals() == {"a": 2}
    assert len(counts) == 1


def test_clear_empties_it():
    counts = SlidingCounts(10, ("a",), lambda: 0.0)
    counts.add("a", 4)
    counts.clear()
    assert counts.totals() == {"a": 0} and len(counts) == 0
