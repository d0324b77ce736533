"""The loop's two loads, read from series shaped like the lab's: goodput follows the offered
load until it collapses near capacity, and comes back only far lower on the way down."""

from __future__ import annotations

import pytest

from experiments.hysteresis_loop import Level, Point, loop_of, measure, staircase
from experiments.hysteresis_plot import Prediction, draw_loop, draw_overlay

CAPACITY = 100.0
HOLD = 10.0
UP = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
PATH = UP + UP[-2::-1]  # up to 1.2, back down to 0.2


def lab_series(levels: list[Level], collapse_at: float, recover_below: float) -> dict:
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
    levels = staircase(PATH, start=20, hold_seconds=HOLD)
    assert [level.branch for level in levels] == ["rising"] * 6 + ["falling"] * 5
    loop = measure(levels, lab_series(levels, collapse_at=1.0, recover_below=0.35))
    assert loop.collapse_load == pytest.approx(1.0)
    assert loop.recovery_load == pytest.approx(0.2)  # 0.4 stays collapsed: 0.4 >= 0.35
    assert loop.width == pytest.approx(0.8)
    # The settled part only: each level's transient (its first 3 s) is left out.
    assert [p.offered for p in loop.branch("rising")] == pytest.approx(UP)


def test_no_collapse_is_no_loop_and_a_collapse_that_never_lets_go_is_wider_than_the_ramp():
    levels = staircase(PATH, start=0, hold_seconds=HOLD)
    calm = measure(levels, lab_series(levels, collapse_at=9.0, recover_below=0.0))
    assert (calm.collapse_load, calm.recovery_load, calm.width) == (None, None, 0.0)
    stuck = measure(levels, lab_series(levels, collapse_at=1.0, recover_below=0.0))
    assert stuck.collapse_load == pytest.approx(1.0) and stuck.recovery_load is None and stuck.width is None


def test_a_level_that_comes_back_and_falls_again_is_not_the_recovery():
    rising = [Point(Level(x, 0, 1, "rising"), x, x if x < 1 else 0.0) for x in (0.5, 1.0)]
    falling = [Point(Level(0.8, 0, 1, "falling"), 0.8, 0.8), Point(Level(0.6, 0, 1, "falling"), 0.6, 0.0),
               Point(Level(0.4, 0, 1, "falling"), 0.4, 0.4)]
    loop = loop_of(rising + falling)
    assert loop.collapse_load == 1.0 and loop.recovery_load == 0.4


def test_unmeasured_levels_never_count_as_back():
    levels = staircase([0.5, 1.2, 0.5], start=0, hold_seconds=HOLD)
    series = lab_series(levels, collapse_at=1.0, recover_below=0.0)
    series["goodput"] = [(t, v) for t, v in series["goodput"] if t < 20]  # the last level lost
    loop = measure(levels, series)
    assert loop.collapse_load == pytest.approx(1.2) and loop.recovery_load is None


def test_the_loop_and_the_overlay_draw_every_branch_with_a_legend():
    levels = staircase(PATH, start=0, hold_seconds=HOLD)
    loop = measure(levels, lab_series(levels, collapse_at=1.0, recover_below=0.35))
    figure = draw_loop("fixed, 3 attempts", loop, Prediction([(0.2, 0.2), (1.0, 1.0)], [(1.0, 0.0), (0.3, 0.3)]),
                       attempts_per_request=3)
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert {"measured, load rising", "measured, load falling", "model, rising", "model, falling",
            "capacity / 3 attempts per request", "collapse_load 1.00", "recovery_load 0.20"} <= set(labels)
    overlay = draw_overlay("three policies", {"naive": loop, "retry-budget": loop})
    assert len(overlay.axes[0].get_legend().get_texts()) == 5
