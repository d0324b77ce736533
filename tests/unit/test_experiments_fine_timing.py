"""When attempts were sent and connections arrived, per 100 ms, and what the verdict reads
from them: where the retry wave begins, and how synchronized it was at the clients and at
the device."""

import pytest

from experiments import fine_timing
from experiments.figures import retry_wave_window
from experiments.fine_timing import ARRIVALS
from experiments.verdict import judge
from stormlab_common.scenario import parse_scenario

SCENARIO = {
    "name": "w", "description": "d", "expect": {"verdict": "metastable", "reasoning": "r"},
    "clients": {"count": 10, "config": {"clients": {"internal": {"attempt_timeout_seconds": 1.0}}}},
    "timeline": {"warmup": 10, "trigger": {"at": 30, "duration": 15}, "end": 100},
}
STARTED = 1_700_000_000.0


def answer(slots, slot_seconds=0.1):
    return {"slot_seconds": slot_seconds, "complete": True, "workers": {}, "slots": slots}


def test_slot_counts_become_rates_in_seconds_since_the_run_began():
    series = fine_timing.attempts_series(
        answer([[STARTED + 30.0, 12, 0], [STARTED + 30.1, 3, 7]]), STARTED)
    assert series[fine_timing.FIRST_TRIES] == [(30.0, pytest.approx(120.0)), (30.1, pytest.approx(30.0))]
    assert series[fine_timing.RETRIES] == [(30.0, 0.0), (30.1, pytest.approx(70.0))]


def test_no_slots_give_no_series_and_a_bad_slot_size_is_refused():
    assert fine_timing.attempts_series(answer([]), STARTED) == {}
    with pytest.raises(ValueError, match="slot_seconds"):
        fine_timing.attempts_series(answer([[STARTED, 1, 1]], slot_seconds=0), STARTED)


def test_the_wave_starts_where_retries_reach_a_fifth_of_their_peak():
    retries = [(30 + 0.1 * i, 0.0) for i in range(10)]  # none during the boot wave's timeout
    retries += [(31.0, 10.0), (31.1, 30.0), (31.2, 400.0), (31.3, 2000.0), (31.4, 50.0)]
    assert fine_timing.retry_wave_start(retries, (30, 36)) == pytest.approx(31.2)
    assert fine_timing.retry_wave_start(retries, (31.35, 36)) == pytest.approx(31.4)
    assert fine_timing.retry_wave_start([(30.0, 0.0)], (30, 36)) is None


def scenario():
    return parse_scenario(SCENARIO)


def flat_goodput():
    return [(float(t), 60.0 if t < 30 else 0.0) for t in range(101)]


def test_without_the_clients_record_the_window_starts_one_timeout_after_the_trigger():
    assert retry_wave_window(scenario(), {}) == (31.0, 36.0)


def test_the_device_is_judged_from_the_retry_wave_on_not_on_the_boot_wave():
    # boot wave at the device at 30.8-31.2 (2,000/s), retries begin at 31.5; afterwards the
    # device sees a steady 800/s with one 100 ms wave of 1,200/s
    def at(i):
        return round(30 + 0.1 * i, 1)

    arrivals = [(at(i), 2000.0 if 30.8 <= at(i) < 31.2 else 1200.0 if at(i) == 33.0 else
                 800.0 if at(i) >= 31.5 else 60.0) for i in range(100)]
    retries = [(at(i), 3000.0 if at(i) == 31.5 else 100.0 if at(i) > 31.5 else 0.0) for i in range(100)]
    figures, _ = judge(scenario(), {"goodput": flat_goodput(), ARRIVALS: arrivals,
                                    fine_timing.RETRIES: retries})
    assert figures["peak_arrivals_fine"].value == pytest.approx(1200.0)  # not the boot wave's 2,000
    assert figures["arrivals_peak_to_mean"].value == pytest.approx(1200 / ((1200 + 800 * 49) / 50), abs=1e-4)  # rounded
    assert figures["peak_retries_sent"].value == pytest.approx(3000.0)
    assert figures["retries_sent_peak_to_mean"].value > 10
    assert "t = 31.5 s" in figures["peak_retries_sent"].meaning


def test_arrival_counts_become_rates_and_a_bad_answer_is_refused():
    series = fine_timing.arrivals_series(
        {"slot_seconds": 0.1, "slots": [[STARTED + 30.0, 12], [STARTED + 30.1, 0]]}, STARTED)
    assert series[ARRIVALS] == [(30.0, pytest.approx(120.0)), (30.1, 0.0)]
    assert fine_timing.arrivals_series({"slot_seconds": 0.1, "slots": []}, STARTED) == {}
    with pytest.raises(ValueError, match="slot_seconds"):
        fine_timing.arrivals_series({"slot_seconds": "fast", "slots": [[STARTED, 1]]}, STARTED)


def test_peak_figures_of_nothing_are_none():
    assert fine_timing.peak_figures([]) == {"peak": None, "mean": None, "peak_to_mean": None}


def test_runs_without_a_trigger_have_no_wave_figures():
    steady = {**SCENARIO, "timeline": {"warmup": 10, "end": 60}}
    figures, _ = judge(parse_scenario(steady),
                       {"goodput": flat_goodput(), fine_timing.RETRIES: [(31.0, 5.0)]})
    assert "peak_retries_sent" not in figures
