"""The loop's rules, as the runner and the model both read a staircase (stormlab_common/loop_rule.py)."""

import pytest

from stormlab_common.loop_rule import Edge, StairPoint, edges, loop_verdict, turns


def staircase(up, down):
    return [StairPoint(load, goodput, True) for load, goodput in up] + \
        [StairPoint(load, goodput, False) for load, goodput in down]


def test_each_edge_lies_between_the_two_levels_where_the_staircase_turned():
    points = staircase(up=[(0.5, 0.5), (0.9, 0.85), (1.1, 0.1), (1.3, 0.0)],
                       down=[(1.1, 0.0), (0.9, 0.6), (0.7, 0.1), (0.5, 0.49), (0.3, 0.3)])
    # up at 0.9, down at 1.1 on the way up; 0.9 on the way down was up once, but 0.7 fell
    # again: back for good only from 0.5
    assert turns(points, 0.5) == (Edge(0.9, 1.1), Edge(0.5, 0.7))
    assert edges(points, 0.5) == pytest.approx((1.0, 0.6))


def test_read_off_one_level_alone_the_loop_would_be_a_step_too_wide():
    up = [(x / 10, x / 10) for x in range(1, 10)] + [(1.0, 0.0)]
    down = [(0.9, 0.0), (0.8, 0.0), (0.7, 0.7), (0.6, 0.6)]
    collapse, recovery = edges(staircase(up, down), 0.5)
    assert collapse - recovery == pytest.approx(0.2)  # 0.95 - 0.75, not 1.0 - 0.7


def test_the_first_level_already_down_is_its_own_edge_and_the_ramp_back_may_never_close():
    assert edges(staircase([(1.0, 0.1)], [(0.5, 0.5)]), 0.5) == pytest.approx((1.0, 0.75))
    assert edges(staircase([(0.5, 0.5), (1.0, 0.1)], [(0.5, 0.0)]), 0.5) == pytest.approx((0.75, None))


def test_no_collapse_no_loop():
    assert edges(staircase([(0.5, 0.5), (1.0, 0.9)], [(0.5, 0.5)]), 0.5) == (None, None)


def test_an_unmeasured_level_is_never_back():
    points = staircase([(1.0, 0.1)], [(0.8, None), (0.6, 0.6)])
    assert edges(points, 0.5) == pytest.approx((1.0, 0.7))  # its load was measured, its goodput not
    assert edges(staircase([(1.0, 0.1)], [(0.8, 0.8), (0.6, None)]), 0.5) == (1.0, None)


@pytest.mark.parametrize(("collapse", "recovery", "verdict"), [
    (None, None, "stable"), (1.0, None, "metastable"), (1.0, 0.7, "metastable"), (1.0, 0.9, "recovered"),
])
def test_the_verdict_is_the_loop_width_against_the_metastable_width(collapse, recovery, verdict):
    assert loop_verdict(collapse, recovery, 0.2) == verdict
