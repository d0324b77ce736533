"""The loop's two loads, read from series shaped like the lab's: goodput follows the offered
load until it collapses near capacity, and comes back only far lower on the way down."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.hysteresis_loop import Point, loop_of, measure
from experiments.hysteresis_plot import Prediction, draw_loop, draw_overlay
from stormlab_common.scenario.ramp import Ramp, RampLevel, ramp_levels

CAPACITY = 100.0
HOLD = 10.0
UP = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
RAMP = Ramp(low=0.2, high=1.2, step=0.2, hold_seconds=HOLD)  # up to 1.2, back down to 0.2


def staircase(ramp: Ramp = RAMP, start: float = 0.0) -> list[RampLevel]:
    return list(ramp_levels(ramp, start, 1.0, CAPACITY, client_count=20))


def level(load: float, branch: str) -> RampLevel:
    return RampLevel(load, 0, 1, branch, load * 5)


def lab_series(levels: list[RampLevel], collapse_at: float, recover_below: float) -> dict:
    """One sample a second: demand at the level (a transient at each level's start), goodput
    equal to it until the collapse, near zero until the load falls below ``recover_below``."""
    demand, goodput, capacity = [], [], []
    collapsed = False
    for level in levels:
        collapsed = (collapsed or level.load >= collapse_at) and level.load >= recover_below
        for second in range(int(level.start), int(level.end)):
            settling = second - level.start < 3
            offered = level.load * CAPACITY
            demand.append((second, offered * (1.3 if settling else 1.0)))
            goodput.append((second, 2.0 if collapsed else offered))
            capacity.append((second, CAPACITY))
    return {"demand": demand, "goodput": goodput, "capacity": capacity}


def test_the_loop_turns_where_goodput_collapses_and_where_it_is_back_for_good():
    levels = staircase(start=20)
    assert [level.branch for level in levels] == ["rising"] * 6 + ["falling"] * 5
    loop = measure(levels, lab_series(levels, collapse_at=1.0, recover_below=0.35))
    # Each edge lies between two levels: up at 0.8 and down at 1.0 on the way up; on the way
    # down 0.4 stays collapsed (0.4 >= 0.35) and 0.2 is back.
    assert loop.collapse_load == pytest.approx(0.9)
    assert loop.recovery_load == pytest.approx(0.3)
    assert loop.width == pytest.approx(0.6)
    # The settled part only: each level's transient (its first 3 s) is left out.
    assert [p.offered for p in loop.branch("rising")] == pytest.approx(UP)


def test_no_collapse_is_no_loop_and_a_collapse_that_never_lets_go_is_wider_than_the_ramp():
    levels = staircase()
    calm = measure(levels, lab_series(levels, collapse_at=9.0, recover_below=0.0))
    assert (calm.collapse_load, calm.recovery_load, calm.width) == (None, None, 0.0)
    stuck = measure(levels, lab_series(levels, collapse_at=1.0, recover_below=0.0))
    assert stuck.collapse_load == pytest.approx(0.9) and stuck.recovery_load is None and stuck.width is None


def test_a_level_that_comes_back_and_falls_again_is_not_the_recovery():
    rising = [Point(level(x, "rising"), x, x if x < 1 else 0.0) for x in (0.5, 1.0)]
    falling = [Point(level(0.8, "falling"), 0.8, 0.8), Point(level(0.6, "falling"), 0.6, 0.0),
               Point(level(0.4, "falling"), 0.4, 0.4)]
    loop = loop_of(rising + falling)
    assert loop.collapse_load == pytest.approx(0.75) and loop.recovery_load == pytest.approx(0.5)


def test_unmeasured_levels_never_count_as_back():
    levels = staircase(Ramp(low=0.5, high=1.2, step=0.7, hold_seconds=HOLD))
    series = lab_series(levels, collapse_at=1.0, recover_below=0.0)
    series["goodput"] = [(t, v) for t, v in series["goodput"] if t < 20]  # the last level lost
    loop = measure(levels, series)
    assert loop.collapse_load == pytest.approx(0.85) and loop.recovery_load is None


def test_the_loop_and_the_overlay_draw_every_branch_with_a_legend():
    levels = staircase()
    loop = measure(levels, lab_series(levels, collapse_at=1.0, recover_below=0.35))
    figure = draw_loop("fixed, 3 attempts", loop, Prediction([(0.2, 0.2), (1.0, 1.0)], [(1.0, 0.0), (0.3, 0.3)]),
                       attempts_per_request=3)
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert {"measured, load rising", "measured, load falling", "model, rising", "model, falling",
            "capacity / 3 attempts per request", "collapse_load 0.90", "recovery_load 0.30"} <= set(labels)
    overlay = draw_overlay("three policies", {"naive": loop, "retry-budget": loop})
    assert len(overlay.axes[0].get_legend().get_texts()) == 5


def test_the_ramp_goes_up_to_its_high_level_and_back_each_level_an_arrival_rate():
    levels = ramp_levels(Ramp(low=0.1, high=1.3, step=0.1, hold_seconds=16), 16.0, 0.5, 100.0, 20)
    assert [lv.load for lv in levels] == pytest.approx([0.1 * i for i in range(1, 14)] +
                                                       [0.1 * i for i in range(12, 0, -1)])
    assert [lv.branch for lv in levels].count("rising") == 13
    # Half length halves the 16 s holds, but a level never settles in under 12 s.
    assert (levels[0].start, levels[0].end, levels[-1].end) == (16.0, 28.0, 16.0 + 25 * 12)
    full = ramp_levels(Ramp(low=0.1, high=1.3, step=0.1, hold_seconds=30), 16.0, 0.5, 100.0, 20)
    assert full[0].end - full[0].start == 15.0
    assert levels[12].requests_per_second == pytest.approx(1.3 * 100 / 20)


@pytest.mark.parametrize(("ramp", "problem"), [
    (Ramp(low=1.0, high=0.5, step=0.1, hold_seconds=1), "must be above low"),
    (Ramp(low=0.001, high=3, step=0.001, hold_seconds=1), "expected at most 200"),
])
def test_a_ramp_that_cannot_be_run_says_why(ramp, problem):
    (problems,) = [ramp.check()]
    assert len(problems) == 1 and problem in problems[0][1]


def test_the_model_draws_the_same_staircase_beside_the_measured_loop():
    from experiments.model_view import predicted_loop
    from stormlab_common.scenario import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "experiments/hysteresis/fixed.yaml", 0.5)
    prediction = predicted_loop(scenario)
    assert prediction is not None and len(prediction.rising) == 13 and len(prediction.falling) == 13
    # up to near capacity goodput follows the load; half way back down it is still collapsed
    assert all(goodput > 0.5 * load for load, goodput in prediction.rising if load < 0.9)
    assert all(goodput < 0.5 * load for load, goodput in prediction.falling if 0.45 < load < 0.75)
