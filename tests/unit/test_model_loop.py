"""The hysteresis loop's figures (fractions of the device's capacity): collapse near
capacity; recovery only below capacity / attempts per request; a 10% budget leaves almost
no loop (../shared/notes/retries-and-metastability.md)."""

import pytest

from model.loop import collapses, hysteresis, loop_inputs, ramp, recovers
from stormlab_common.contracts.policies import FixedParams, NaiveParams, RetryBudgetParams
from tests.unit.model_scenarios import lab


@pytest.fixture(scope="module")
def storm_lab():
    return lab("retry-storm")  # 100 setups/s, 1 s attempt timeout, 5 s deadline, a connection each


def test_fixed_three_attempts_recovers_only_below_a_third(storm_lab):
    loop = hysteresis(storm_lab, FixedParams(max_attempts=3))
    assert loop.collapse_load == pytest.approx(1.0, abs=0.15)
    assert loop.recovery_load == pytest.approx(1 / 3, abs=0.15)
    assert loop.width >= 0.4


def test_naive_under_a_5_s_deadline_and_1_s_timeouts_recovers_only_below_a_fifth(storm_lab):
    loop = hysteresis(storm_lab, NaiveParams())
    assert loop.collapse_load == pytest.approx(1.0, abs=0.15)
    assert loop.recovery_load == pytest.approx(0.2, abs=0.15)
    assert loop.width >= 0.4


def test_a_ten_percent_retry_budget_leaves_almost_no_loop(storm_lab):
    loop = hysteresis(storm_lab, RetryBudgetParams(mode="ratio", ratio=0.1))
    assert loop.collapse_load == pytest.approx(1.0, abs=0.15)
    assert 0 <= loop.width <= 0.15


def test_both_branches_at_one_load_inside_the_loop(storm_lab):
    """At half capacity with 3 attempts: healthy stays healthy, collapsed stays collapsed."""
    inputs = loop_inputs(storm_lab, FixedParams(max_attempts=3))
    assert not collapses(inputs, 0.5, hold=30)
    assert not recovers(inputs, 0.5, hold=30)
    assert recovers(inputs, 0.2, hold=30)


def test_the_staircase_ramp_shows_the_loop(storm_lab):
    steps = ramp(storm_lab, FixedParams(max_attempts=3, delay_seconds=0), low=0.2, high=1.2, step=0.2, hold=8)
    up = {round(s.load, 1): s.goodput / s.load for s in steps if s.rising}
    down = [s for s in steps if not s.rising]
    assert up[0.6] > 0.9  # healthy on the way up at 60% of capacity
    assert next(s for s in down if abs(s.load - 0.6) < 0.1).goodput < 0.1  # collapsed on the way down
