"""From the recorded series to figures and a verdict (definitions in docs/experiments.md).

- **stable**: goodput never fell below ``down_fraction`` of its baseline after the trigger;
- **recovered**: it fell, and came back above that line, for good, within
  ``recover_within`` seconds of the trigger's end (or of the last operator action);
- **metastable**: it did not: the bad state outlived its trigger for the whole window.

"Fell" and "came back" are judged on goodput averaged over a few seconds, so one late
scrape cannot flip a verdict; the window is checked to be at least 5x the client timeout
when the scenario loads.
"""

from __future__ import annotations

import itertools
import math

from experiments import fine_timing
from experiments.scenario import Scenario

Series = list[tuple[float, float]]
SMOOTHING_SECONDS = 4.0
RETRY_WAVE_SECONDS = 5.0  # the surge's first retries: 3 attempts with backoff fit well inside


def values_in(series: Series, window: tuple[float, float]) -> list[float]:
    start, end = window
    return [v for t, v in series if start <= t <= end and not math.isnan(v)]


def aggregate(series: Series, window: tuple[float, float], how: str = "mean") -> float | None:
    values = values_in(series, window)
    if not values:
        return None
    if how == "mean":
        return sum(values) / len(values)
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    return values[-1]  # last


def smoothed(series: Series, seconds: float = SMOOTHING_SECONDS) -> Series:
    """A trailing mean over ``seconds``: what "goodput at t" means in a verdict."""
    clean = [(t, v) for t, v in series if not math.isnan(v)]
    out, start, total = [], 0, 0.0
    for end, (t, v) in enumerate(clean):
        total += v
        while clean[start][0] < t - seconds:
            total -= clean[start][1]
            start += 1
        out.append((t, total / (end - start + 1)))
    return out


def ratio_of_sums(numerator: Series, denominator: Series, window: tuple[float, float]) -> float | None:
    """E.g. attempts over logical requests across a window: the ratio of the integrals, which
    weighs busy seconds more than idle ones (a mean of ratios would not)."""
    top, bottom = sum(values_in(numerator, window)), sum(values_in(denominator, window))
    return top / bottom if bottom > 0 else None


def judge(scenario: Scenario, series: dict[str, Series]) -> tuple[dict, dict]:
    """The summary figures and the verdict of a run."""
    windows = scenario.windows()
    goodput = smoothed(series.get("goodput", []))
    baseline = aggregate(series.get("goodput", []), windows["before"])
    figures: dict[str, dict] = {}

    def figure(name: str, value: float | None, unit: str, meaning: str) -> None:
        figures[name] = {
            "value": None if value is None else round(value, 4),
            "unit": unit,
            "meaning": meaning,
        }

    figure("baseline_goodput", baseline, "req/s", "mean goodput before the trigger")
    if scenario.trigger is None:
        settled = windows["before"][0] + SMOOTHING_SECONDS  # the mean covers only the measured part
        lowest = min((v for t, v in goodput if settled <= t <= scenario.end), default=None)
        figure("lowest_goodput", lowest, "req/s", "lowest goodput (4 s mean) in the run")
        verdict = _steady_verdict(scenario, baseline, lowest)
        return figures, verdict
    figure(
        "goodput_during",
        aggregate(series.get("goodput", []), windows["during"]),
        "req/s",
        "mean goodput while the trigger lasted",
    )
    after = aggregate(series.get("goodput", []), windows["after"])
    figure(
        "goodput_after",
        after,
        "req/s",
        "mean goodput from the trigger's end to the first action (or the end)",
    )
    figure(
        "goodput_after_ratio",
        None if after is None or not baseline else after / baseline,
        "of baseline",
        "goodput after the trigger as a fraction of baseline",
    )
    recovery = windows["recovery"]
    final = (max(recovery[0], recovery[1] - 15 * scenario.time_scale), recovery[1])
    figure(
        "goodput_final",
        aggregate(series.get("goodput", []), final),
        "req/s",
        "mean goodput over the run's last seconds",
    )
    storm = (windows["during"][0], scenario.end)
    figure(
        "retry_amplification",
        ratio_of_sums(series.get("offered_load", []), series.get("demand", []), storm),
        "attempts/req",
        "attempts per logical request from the trigger to the end",
    )
    figure(
        "retry_amplification_after",
        ratio_of_sums(series.get("offered_load", []), series.get("demand", []), windows["after"]),
        "attempts/req",
        "attempts per logical request after the trigger, before any action",
    )
    figure(
        "retry_amplification_before",
        ratio_of_sums(series.get("offered_load", []), series.get("demand", []), windows["before"]),
        "attempts/req",
        "attempts per logical request at baseline",
    )
    figure(
        "wasted_work",
        _integral(series.get("wasted_work", []), storm),
        "worker-s",
        "service time spent on requests whose client had already given up",
    )
    figure(
        "peak_connection_attempts",
        aggregate(series.get("connection_attempts", []), storm, "max"),
        "conn/s",
        "highest rate of connection attempts at the device after the trigger",
    )
    if scenario.trigger is not None:
        _retry_wave_figures(scenario, series, figure)
    figure(
        "connection_setup_limit",
        aggregate(series.get("connection_setup_limit", []), storm, "max"),
        "conn/s",
        "the device's connection setup rate",
    )
    figure(
        "capacity",
        aggregate(series.get("capacity", []), storm, "max"),
        "req/s",
        "the device's capacity in attempts/s once every attempt needs a new connection",
    )
    if "operator_view_up" in series:
        figure(
            "operator_view_scrapes",
            aggregate(series["operator_view_up"], storm),
            "ratio",
            "share of the operator view's scrapes (through the device) that succeeded after the trigger",
        )
        figure(
            "ground_truth_scrapes",
            aggregate(series.get("ground_truth_up", []), storm),
            "ratio",
            "share of ground-truth scrapes (out of band) that succeeded after the trigger",
        )
    fell, recovered_at = _fall_and_recovery(goodput, baseline, scenario)
    reference = scenario.recovery_reference()
    figure(
        "time_to_recover",
        None if recovered_at is None else max(0.0, recovered_at - reference),
        "s",
        "from the trigger's end (or last action) until goodput was back above the line for good",
    )
    verdict = _trigger_verdict(scenario, baseline, fell, recovered_at, goodput)
    return figures, verdict


def _steady_verdict(scenario: Scenario, baseline: float | None, lowest: float | None) -> dict:
    """Without a trigger, stable means goodput held: no 4 s mean below the line."""
    if not baseline or lowest is None:
        return _verdict(scenario, "metastable", "no goodput was measured: the system never had a baseline")
    line = scenario.down_fraction * baseline
    if lowest >= line:
        return _verdict(scenario, "stable", f"no trigger; goodput held at {_num(baseline)} req/s, its lowest "
                                            f"4 s mean {_num(lowest)} never below {_num(line)}")
    reason = (f"with no trigger at all, goodput fell to {_num(lowest)} req/s, below "
              f"{scenario.down_fraction:.0%} of its {_num(baseline)} mean")
    return _verdict(scenario, "metastable", reason)


def retry_wave_window(scenario: Scenario, series: dict[str, Series]) -> tuple[float, float]:
    """Where the retries of the surge's boot wave come, RETRY_WAVE_SECONDS from their start.

    They start where the clients' own record shows them start (experiments/fine_timing.py);
    without that record, one client timeout after the trigger (timeouts are physics: not
    scaled). Either way the boot wave itself, the same for every policy, is left out."""
    trigger = scenario.windows()["during"][0]
    search = (trigger, trigger + scenario.client_timeout + RETRY_WAVE_SECONDS)
    start = fine_timing.retry_wave_start(series.get(fine_timing.RETRIES, []), search)
    if start is None:
        start = trigger + scenario.client_timeout
    return start, start + RETRY_WAVE_SECONDS


def _retry_wave_figures(scenario: Scenario, series: dict[str, Series], figure) -> None:
    """How synchronized the retries were: when the clients sent them, and when connections
    reached the device. Jitter changes these and not the verdict."""
    start, end = retry_wave_window(scenario, series)
    wave = f"the {end - start:g} s from when the surge's retries began (t = {start:.1f} s)"
    def in_wave(name: str) -> Series:
        return [(t, v) for t, v in series[name] if start <= t < end]

    if fine_timing.RETRIES in series:
        sent = fine_timing.peak_figures(in_wave(fine_timing.RETRIES))
        figure(
            "peak_retries_sent",
            sent["peak"],
            "retries/s",
            f"highest rate of retries the clients sent in any 100 ms of {wave}, from the clients' "
            "own record: a policy without jitter fires the retries of attempts that failed "
            "together in one wave",
        )
        figure(
            "retries_sent_peak_to_mean",
            sent["peak_to_mean"],
            "ratio",
            "that peak over the mean of the same 100 ms slots: how synchronized the retries were",
        )
    if fine_timing.ARRIVALS in series:
        arrived = fine_timing.peak_figures(in_wave(fine_timing.ARRIVALS))
        figure(
            "peak_arrivals_fine",
            arrived["peak"],
            "conn/s",
            f"highest rate of connections arriving at the device in any 100 ms of {wave}, timed "
            "by the device's kernel at the handshake",
        )
        figure(
            "arrivals_peak_to_mean",
            arrived["peak_to_mean"],
            "ratio",
            "that peak over the mean of the same 100 ms slots: how synchronized the connection "
            "attempts were (about 1 to 2 for independent arrivals; more when retries fire in waves)",
        )


def _fall_and_recovery(goodput: Series, baseline: float | None, s: Scenario) -> tuple[bool, float | None]:
    """Whether goodput fell below the line after the trigger began, and from when it stayed
    above the line until the end (None: it never did)."""
    if not baseline:
        return True, None
    line = s.down_fraction * baseline
    start = s.trigger["at"]
    after = [(t, v) for t, v in goodput if start <= t <= s.end]
    fell = any(v < line for _t, v in after)
    recovered_at = None
    for t, v in after:
        if v < line:
            recovered_at = None
        elif recovered_at is None:
            recovered_at = t
    if recovered_at is not None and s.end - recovered_at < SMOOTHING_SECONDS:
        recovered_at = None  # back only in the last moments: not yet shown to hold
    return fell, recovered_at


def _trigger_verdict(
    s: Scenario, baseline: float | None, fell: bool, recovered_at: float | None, goodput: Series
) -> dict:
    reference = s.recovery_reference()
    since = "the last action" if s.actions else "the trigger ended"
    window = s.end - reference
    if not baseline:
        return _verdict(s, "metastable", "no goodput before the trigger: the system never had a baseline")
    line = s.down_fraction * baseline
    if not fell:
        low = min((v for t, v in goodput if t >= s.trigger["at"]), default=baseline)
        return _verdict(
            s,
            "stable",
            f"goodput never fell below {s.down_fraction:.0%} of baseline "
            f"({_num(line)} of {_num(baseline)} req/s); lowest {_num(low)}",
        )
    allowed = min(s.recover_within, window)  # a shortened (CI) run may observe less than the bound
    if recovered_at is not None and recovered_at - reference <= allowed:
        return _verdict(
            s,
            "recovered",
            f"goodput fell below {s.down_fraction:.0%} of baseline and was back "
            f"above it for good {max(0.0, recovered_at - reference):.0f} s after "
            f"{since} (allowed {allowed:.0f} s)",
        )
    tail = [v for t, v in goodput if reference + SMOOTHING_SECONDS <= t <= s.end]
    peak = max(tail, default=0.0)
    how = (
        "back only later"
        if recovered_at is not None
        else f"never above it for good (best 4 s mean {_num(peak)} req/s)"
    )
    return _verdict(
        s,
        "metastable",
        f"goodput fell below {s.down_fraction:.0%} of baseline ({_num(line)} of "
        f"{_num(baseline)} req/s) and, with the trigger gone, was {how} in the "
        f"{window:.0f} s after {since} ({window / s.client_timeout:.0f}x the "
        f"client timeout)",
    )


def _verdict(s: Scenario, verdict: str, reason: str) -> dict:
    return {
        "verdict": verdict,
        "expected": s.expected_verdict,
        "matches": verdict == s.expected_verdict,
        "reason": reason,
    }


def evaluate_checks(scenario: Scenario, series: dict[str, Series]) -> list[dict]:
    """The steady-state hypothesis: each check's value over its window against its tolerance."""
    windows = scenario.windows()
    results = []
    for index, check in enumerate(scenario.checks):
        name = check.get("series") or f"check:{index}"
        value = aggregate(series.get(name, []), windows[check["window"]], check["aggregate"])
        threshold = check["threshold"]
        if check["relative_to_baseline"]:
            base = aggregate(series.get(name, []), windows["before"])
            threshold = None if base is None else threshold * base
        passed = value is not None and threshold is not None and _compare(value, check["operator"], threshold)
        results.append(
            {
                "name": check["name"],
                "window": check["window"],
                "query": check.get("query") or name,
                "aggregate": check["aggregate"],
                "value": _round(value),
                "operator": check["operator"],
                "threshold": _round(threshold),
                "passed": bool(passed),
            }
        )
    return results


def _compare(value: float, operator: str, threshold: float) -> bool:
    return {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
    }[operator]


def _integral(series: Series, window: tuple[float, float]) -> float | None:
    points = [(t, v) for t, v in series if window[0] <= t <= window[1] and not math.isnan(v)]
    if len(points) < 2:
        return None
    return sum((t2 - t1) * (v1 + v2) / 2 for (t1, v1), (t2, v2) in itertools.pairwise(points))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"
