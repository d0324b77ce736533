"""From the recorded series to a verdict (definitions in docs/experiments.md).

- **stable**: goodput never fell below ``down_fraction`` of its baseline after the trigger;
- **recovered**: it fell, and came back above that line, for good, within
  ``recover_within`` seconds (the scenario's ``verdict.recover_within_seconds``, not scaled)
  of the trigger's end (or of the last operator action); a shortened run that observes less
  than that after it is allowed what it observes, and its reason says so. When actions
  stopped clients, the reason says what share of baseline those left can reach
  (experiments/population.py), so 80% of baseline after a quarter of the clients went is
  read as the full recovery it is;
- **metastable**: it did not: the bad state outlived its trigger for the whole window.

"Fell" and "came back" are judged on goodput averaged over a few seconds, so one late
scrape cannot flip a verdict; the window is checked to be at least 5x the client timeout
when the scenario loads. The figures it decides from are declared in experiments/figures.py.
"""

from __future__ import annotations

from experiments.figures import WINDOWS, fall_and_recovery, figure_records, measure
from experiments.numbers import formatted
from experiments.population import fewer_clients
from experiments.run_record import Figure, Verdict
from experiments.series_math import Series
from stormlab_common.loop_rule import loop_verdict
from stormlab_common.recovery import SMOOTHING_SECONDS, smoothed
from stormlab_common.scenario import Scenario


def judge(scenario: Scenario, series: dict[str, Series]) -> tuple[dict[str, Figure], Verdict]:
    """The summary figures and the verdict of a run."""
    values = measure(scenario, series)
    goodput = smoothed(series.get("goodput", []))
    return figure_records(scenario, series, values), decide(scenario, values, goodput)


def decide(scenario: Scenario, values: dict[str, float | None], goodput: Series) -> Verdict:
    """The verdict from the (unrounded) figures and the smoothed goodput."""
    baseline = values.get("baseline_goodput")
    if scenario.ramp:
        return _loop_verdict(scenario, values)
    if scenario.trigger is None:
        return _steady_verdict(scenario, baseline, values.get("lowest_goodput"))
    window = WINDOWS["since the trigger"][1](scenario, {})
    fell, recovered_at = fall_and_recovery(goodput, baseline, scenario, window)
    verdict = _trigger_verdict(scenario, baseline, fell, recovered_at, goodput)
    final = values.get("goodput_final")
    if verdict.verdict == "recovered" and baseline and final is not None:
        why = fewer_clients(scenario, final / baseline)
        if why:
            verdict = Verdict(verdict.verdict, verdict.expected, verdict.matches, f"{verdict.reason}; {why}")
    return verdict


def allowed_time(s: Scenario) -> tuple[float, str]:
    """How long a recovery may take in this run, and how to say it: the scenario's bound, or,
    when a shortened run observes less after the reference, what it observes."""
    window, bound = s.end - s.recovery_reference(), s.recover_within
    if window >= bound:
        return bound, f"allowed {_whole(bound)} s, the scenario's recover_within_seconds"
    return window, (f"allowed {_whole(window)} s: the {_whole(bound)} s bound, capped to the "
                    f"{_whole(window)} s this {_length(s.time_scale)} run observes")


def _length(time_scale: float) -> str:
    names = {0.5: "half-length", 0.25: "quarter-length", 2.0: "double-length"}
    return names.get(time_scale, f"time-scale {time_scale:g}")


def _loop_verdict(s: Scenario, values: dict[str, float | None]) -> Verdict:
    """A hysteresis run: stable without a collapse; metastable when the loop is at least the
    ramp's ``metastable_width`` wide (or never closed on the ramp); recovered when narrower."""
    collapse, recovery, width = (values.get(k) for k in ("collapse_load", "recovery_load", "loop_width"))
    bound = s.spec.ramp.metastable_width
    if collapse is None:
        highest = max(level.load for level in s.ramp)
        return _verdict(s, "stable", f"goodput never fell below {_percent(s.down_fraction)} of the offered "
                                     f"load up to {highest:g} x capacity")
    fell = f"goodput collapsed at {collapse:.2f} x capacity on the way up and"
    if recovery is None:
        return _verdict(s, "metastable", f"{fell} never came back on the way down to "
                                         f"{s.ramp[-1].load:g} x capacity")
    came_back = f"{fell} came back at {recovery:.2f} on the way down: a loop {width:.2f} of capacity wide"
    if loop_verdict(collapse, recovery, bound) == "metastable":
        return _verdict(s, "metastable", f"{came_back} (at least {bound:g}: between the two loads both "
                                         "states hold)")
    return _verdict(s, "recovered", f"{came_back} (under {bound:g}: it lets go about where it broke)")


def _steady_verdict(scenario: Scenario, baseline: float | None, lowest: float | None) -> Verdict:
    """Without a trigger, stable means goodput held: no 4 s mean below the line."""
    if not baseline or lowest is None:
        return _verdict(scenario, "metastable", "no goodput was measured: the system never had a baseline")
    line = scenario.down_fraction * baseline
    if lowest >= line:
        return _verdict(scenario, "stable", f"no trigger; goodput held at {_num(baseline)} req/s, its lowest "
                                            f"4 s mean {_num(lowest)} never below {_num(line)}")
    reason = (f"with no trigger at all, goodput fell to {_num(lowest)} req/s, below "
              f"{_percent(scenario.down_fraction)} of its {_num(baseline)} mean")
    return _verdict(scenario, "metastable", reason)


def _trigger_verdict(
    s: Scenario, baseline: float | None, fell: bool, recovered_at: float | None, goodput: Series
) -> Verdict:
    reference = s.recovery_reference()
    since = "the last action" if s.actions else "the trigger ended"
    window = s.end - reference
    if not baseline:
        return _verdict(s, "metastable", "no goodput before the trigger: the system never had a baseline")
    line = s.down_fraction * baseline
    down = _percent(s.down_fraction)
    if not fell:
        low = min((v for t, v in goodput if t >= s.trigger["at"]), default=baseline)
        return _verdict(s, "stable", f"goodput never fell below {down} of baseline "
                                     f"({_num(line)} of {_num(baseline)} req/s); lowest {_num(low)}")
    allowed, allowance = allowed_time(s)  # a shortened (CI) run may observe less than the bound
    if recovered_at is not None and recovered_at - reference <= allowed:
        return _verdict(s, "recovered", f"goodput fell below {down} of baseline and was back above it for "
                                        f"good {_whole(max(0.0, recovered_at - reference))} s after {since} "
                                        f"({allowance})")
    fell_by = (f"goodput fell below {down} of baseline ({_num(line)} of {_num(baseline)} req/s) and, with "
               "the trigger gone, was")
    if recovered_at is not None:
        return _verdict(s, "metastable", f"{fell_by} back above it for good only "
                                         f"{_whole(recovered_at - reference)} s after {since} ({allowance})")
    tail = [v for t, v in goodput if reference + SMOOTHING_SECONDS <= t <= s.end]
    peak = max(tail, default=0.0)
    return _verdict(s, "metastable", f"{fell_by} never above it for good (best 4 s mean {_num(peak)} "
                                     f"req/s) in the {_whole(window)} s after {since} "
                                     f"({_whole(window / s.client_timeout)}x the client timeout)")


def _verdict(s: Scenario, verdict: str, reason: str) -> Verdict:
    return Verdict(verdict=verdict, expected=s.expected_verdict, matches=verdict == s.expected_verdict,
                   reason=reason)


def _num(value: float | None) -> str:
    return "n/a" if value is None else formatted(value, ".1f")


def _whole(value: float) -> str:
    return formatted(value, ".0f")


def _percent(fraction: float) -> str:
    return formatted(fraction, ".0%")
