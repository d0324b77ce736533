"""Service-time distributions keep their configured mean (and the lognormal its p99)."""

import random
import statistics
import typing

import pytest

from services.service_time import DISTRIBUTIONS, make_service_time
from stormlab_common.contracts.service import Work


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


def test_every_distribution_the_settings_name_is_registered():
    hint = typing.get_type_hints(Work)["distribution"]
    assert set(typing.get_args(hint)) == set(DISTRIBUTIONS)
