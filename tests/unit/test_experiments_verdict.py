"""Verdicts from series: the three outcomes, the recovery deadline, the hypothesis checks."""

import math

import pytest

from experiments.checks import evaluate_checks
from experiments.series_math import ratio_of_sums
from experiments.verdict import judge
from stormlab_common.recovery import smoothed
from stormlab_common.scenario import parse_scenario

SCENARIO = {
    "name": "v", "description": "d", "expect": {"verdict": "metastable", "reasoning": "r"},
    "clients": {"count": 10},
    "timeline": {"warmup": 10, "trigger": {"at": 30, "duration": 15}, "end": 100},
    "hypothesis": [{"name": "stays down", "series": "goodput", "window": "after", "aggregate": "max",
                    "operator": "<", "threshold": 0.3, "relative_to_baseline": True}],
}


def goodput(shape):
    """One sample a second for 100 s; ``shape(t)`` gives goodput at t."""
    return {"goodput": [(float(t), float(shape(t))) for t in range(101)]}


def test_goodput_that_never_falls_is_stable():
    figures, verdict = judge(parse_scenario(SCENARIO), goodput(lambda t: 60))
    assert verdict.verdict == "stable" and not verdict.matches
    assert figures["baseline_goodput"].value == 60


def test_goodput_that_stays_down_after_the_trigger_is_metastable():
    figures, verdict = judge(parse_scenario(SCENARIO), goodput(lambda t: 60 if t < 32 else 1))
    assert verdict.verdict == "metastable" and verdict.matches
    assert "55 s after the trigger ended" in verdict.reason
    assert figures["time_to_recover"].value is None


def test_goodput_back_within_the_deadline_is_recovered_with_its_time():
    figures, verdict = judge(parse_scenario(SCENARIO), goodput(lambda t: 0 if 32 <= t < 55 else 60))
    assert verdict.verdict == "recovered"
    # back at 55 s, 10 s after the trigger ended at 45 s (the 4 s mean is over the line at once)
    assert figures["time_to_recover"].value == pytest.approx(10, abs=2)


def test_goodput_back_only_after_the_deadline_is_metastable():
    _figures, verdict = judge(parse_scenario(SCENARIO), goodput(lambda t: 0 if 32 <= t < 85 else 60))
    assert verdict.verdict == "metastable"  # back 40 s after the end: later than the 30 s allowed
    assert verdict.reason.endswith("was back above it for good only 42 s after the trigger ended (allowed 30 s, "
                                   "the scenario's recover_within_seconds)")


def test_a_brief_dip_below_the_line_does_not_count_as_a_fall():
    # one bad second among good ones: the 4 s mean stays over half the baseline
    _figures, verdict = judge(parse_scenario(SCENARIO), goodput(lambda t: 10 if t == 50 else 60))
    assert verdict.verdict == "stable"


def test_no_baseline_is_never_called_stable():
    _figures, verdict = judge(parse_scenario(SCENARIO), goodput(lambda t: 0))
    assert verdict.verdict == "metastable" and "baseline" in verdict.reason


def test_without_a_trigger_a_fall_is_not_stable():
    steady = {**SCENARIO, "timeline": {"warmup": 10, "end": 100}, "hypothesis": []}
    _figures, verdict = judge(parse_scenario(steady), goodput(lambda t: 0 if t > 60 else 60))
    assert verdict.verdict != "stable"
    _figures, verdict = judge(parse_scenario(steady), goodput(lambda t: 60))
    assert verdict.verdict == "stable"


def test_checks_compare_against_a_fraction_of_baseline():
    scenario = parse_scenario(SCENARIO)
    (down,) = evaluate_checks(scenario, goodput(lambda t: 60 if t < 32 else 5))
    assert down.passed and down.value == 5
    assert (down.threshold, down.relative_to_baseline, down.absolute_threshold) == (0.3, True, pytest.approx(18))
    assert (down.series, down.query, down.measured, down.operator) == ("goodput", None, "goodput", "<")
    (up,) = evaluate_checks(scenario, goodput(lambda t: 60))
    assert not up.passed
    (missing,) = evaluate_checks(scenario, {})
    assert not missing.passed and missing.value is None and missing.absolute_threshold is None


def test_a_query_check_reads_its_own_series_and_an_absolute_threshold_stays_as_written():
    check = {"name": "few turned away", "query": "sum(rate(x_total[6s]))", "window": "after",
             "aggregate": "max", "operator": "<=", "threshold": 7}
    scenario = parse_scenario({**SCENARIO, "hypothesis": [SCENARIO["hypothesis"][0], check]})
    series = {**goodput(lambda t: 60), "check:1": [(float(t), 7.0 if t == 50 else 1.0) for t in range(101)]}
    _, result = evaluate_checks(scenario, series)
    assert (result.series, result.query, result.measured) == ("check:1", check["query"], check["query"])
    assert (result.value, result.threshold, result.absolute_threshold, result.passed) == (7, 7, 7, True)
    (_, unrecorded) = evaluate_checks(scenario, goodput(lambda t: 60))
    assert unrecorded.value is None and not unrecorded.passed


def test_smoothing_noise_never_prints_as_negative_zero():
    # a running total of these, then zeros, drifts to -2.2e-16: "best 4 s mean -0.0 req/s"
    noise = [0.4, 2.5, 2.3, 0.8, 1.5, 1.3]
    shape = {**{t: 60 for t in range(32)}, **{32 + i: v for i, v in enumerate(noise)}}
    series = goodput(lambda t: shape.get(t, 0.0))
    assert [v for t, v in smoothed(series["goodput"]) if t >= 45] == [0.0] * 56
    _figures, verdict = judge(parse_scenario(SCENARIO), series)
    assert "best 4 s mean 0.0 req/s" in verdict.reason and "-0" not in verdict.reason


def test_amplification_is_a_ratio_of_integrals_and_nan_is_skipped():
    attempts = [(0.0, 300.0), (1.0, 300.0), (2.0, math.nan)]
    started = [(0.0, 60.0), (1.0, 60.0), (2.0, 60.0)]
    assert ratio_of_sums(attempts, started, (0, 2)) == pytest.approx(600 / 180)
    assert ratio_of_sums(attempts, [], (0, 2)) is None


def test_smoothing_is_a_trailing_mean():
    assert smoothed([(0.0, 0.0), (1.0, 4.0), (2.0, 8.0)], seconds=1) == [(0.0, 0.0), (1.0, 2.0), (2.0, 6.0)]


CUT = {**SCENARIO, "expect": {"verdict": "recovered", "reasoning": "r"}, "hypothesis": [],
       "timeline": {**SCENARIO["timeline"], "actions": [{"at": 60, "do": "disable_sources", "fraction": 0.25}]}}


@pytest.mark.parametrize(("after", "back", "said"), [  # back: when the 4 s mean crosses 30 req/s
    (48, 8, "goodput back at 80% of baseline: disable-sources-1 at 60 s left 8 of the 10 clients, so 80% of "
         "baseline is full recovery for the clients left"),
    (35, 9, "goodput back at 58% of baseline: disable-sources-1 at 60 s left 8 of the 10 clients, so 80% of "
         "baseline would be full recovery for the clients left; this is short of it"),
])
def test_a_recovery_with_fewer_clients_is_explained_by_them(after, back, said):
    # 10 clients, then a quarter stopped: round(7.5) = 8 left, so 80% of the baseline is all they ask for
    figures, verdict = judge(parse_scenario(CUT), goodput(lambda t: 60 if t < 32 else 0 if t < 65 else after))
    assert verdict.verdict == "recovered" and verdict.matches
    assert verdict.reason == (f"goodput fell below 50% of baseline and was back above it for good {back} s after "
                              f"the last action (allowed 30 s, the scenario's recover_within_seconds); {said}")
    assert figures["goodput_final"].value == after


def test_without_clients_stopped_a_recovery_needs_no_such_sentence():
    _figures, verdict = judge(parse_scenario(SCENARIO), goodput(lambda t: 0 if 32 <= t < 55 else 60))
    assert verdict.verdict == "recovered" and "clients" not in verdict.reason


def test_a_shortened_run_says_it_caps_the_allowed_time_to_what_it_observes():
    # at half length the trigger ends at 22.5 s and the run at 50 s: 27.5 s observed, under the 30 s bound
    scenario = parse_scenario(SCENARIO, time_scale=0.5)
    series = {"goodput": [(t / 2, 0.0 if 16 <= t / 2 < 40 else 60.0) for t in range(101)]}
    _figures, verdict = judge(scenario, series)
    assert verdict.verdict == "recovered"
    assert verdict.reason.endswith("after the trigger ended (allowed 28 s: the 30 s bound, capped to the 28 s "
                                   "this half-length run observes)")
    # (capped, the bound is the whole window: a recovery in it is in time, and none is late)
