"""Service-time distributions keep their configured mean (and the lognormal its p99)."""

import random
import statistics

import pytest

from services.service_time import MAX_LOGNORMAL_P99_RATIO, distribution_problems, make_service_time


def test_fixed_is_always_the_mean():
    fixed = make_service_time("fixed", 0.02)
    assert {fixed.sample() for _ in range(10)} == {0.02}


@pytest.mark.parametrize(("mean", "p99"), [(0.02, 0.06), (0.01, 0.1), (1.0, 1.5)])
def test_lognormal_has_the_mean_and_p99_asked_for(mean, p99):
    lognormal = make_service_time("lognormal", mean, p99, random.Random(7))
    samples = sorted(lognormal.sample() for _ in range(200_000))
    assert statistics.fmean(samples) == pytest.approx(mean, rel=0.03)
    assert samples[int(0.99 * len(samples))] == pytest.approx(p99, rel=0.05)


def test_exponential_has_the_mean():
    exponential = make_service_time("exponential", 0.05, rng=random.Random(3))
    assert statistics.fmean(exponential.sample() for _ in range(100_000)) == pytest.approx(0.05, rel=0.02)
    assert make_service_time("exponential", 0.0).sample() == 0.0


def test_impossible_lognormals_are_refused():
    assert distribution_problems({"distribution": "fixed", "service_time_seconds": 0}, "work") == []
    assert distribution_problems({"distribution": "lognormal", "service_time_seconds": 0}, "work") == [
        "work.service_time_seconds: a lognormal needs a positive mean, got 0"]
    too_wide = {"distribution": "lognormal", "service_time_seconds": 1,
                "p99_seconds": MAX_LOGNORMAL_P99_RATIO + 1}
    assert len(distribution_problems(too_wide, "work")) == 1
