"""A run's summary figures, declared in one table.

Each row of ``FIGURES`` says what a figure is called, its unit, what it means, and how it is
computed: from which series, over which window (``WINDOWS``), aggregated how
(``AGGREGATIONS``). ``measure`` evaluates the table on a run's series; ``figure_records``
turns the values into run.json's figures. verdict.py decides from them; docs/experiments.md
shows the same table (``markdown_table``; a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from experiments import fine_timing
from experiments.hysteresis_loop import Loop
from experiments.hysteresis_loop import measure as measure_loop
from experiments.numbers import clean, formatted
from experiments.run_record import Figure
from experiments.series_math import Series, Window, aggregate, integral, ratio_of_sums
from stormlab_common.recovery import SMOOTHING_SECONDS, back_for_good, smoothed

RETRY_WAVE_SECONDS = 5.0  # the surge's first retries: 3 attempts with backoff fit well inside
CLOSING_SECONDS = 15.0  # scaled with the timeline: the "where it ended up" stretch of goodput_final


@dataclass(frozen=True)
class FigureSpec:
    name: str
    unit: str
    meaning: str  # "{wave}" stands for the retry wave's window, which only the data can place
    series: tuple[str, ...]
    window: str  # a key of WINDOWS
    how: str  # a key of AGGREGATIONS
    runs: str = "trigger"  # "trigger": runs with one; "steady": runs without (nor a ramp); "ramp"; "all"
    only_if: str | None = None  # left out (not null) of runs that did not record this series


LOOP = ("demand", "goodput", "capacity")
GOODPUT, ATTEMPTS, RETRIES, ARRIVALS = ("goodput",), ("offered_load", "demand"), (fine_timing.RETRIES,), (
    fine_timing.ARRIVALS,)
_SENT = ("highest rate of retries the clients sent in any 100 ms of {wave}, from the clients' own record: a "
         "policy without jitter fires the retries of attempts that failed together in one wave")
_ARRIVED = ("highest rate of connections arriving at the device in any 100 ms of {wave}, timed by the "
            "device's kernel at the handshake")

FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("baseline_goodput", "req/s", "mean goodput before the trigger",
               GOODPUT, "before", "mean", "all"),
    FigureSpec("lowest_goodput", "req/s", "lowest goodput (4 s mean) in the run",
               GOODPUT, "settled", "lowest 4 s mean", "steady"),
    FigureSpec("goodput_during", "req/s", "mean goodput while the trigger lasted",
               GOODPUT, "during", "mean"),
    FigureSpec("goodput_after", "req/s",
               "mean goodput from the trigger's end to the first action (or the end)",
               GOODPUT, "after", "mean"),
    FigureSpec("goodput_after_ratio", "of baseline", "goodput after the trigger as a fraction of baseline",
               GOODPUT, "after", "mean / baseline"),
    FigureSpec("goodput_final", "req/s", "mean goodput over the run's last seconds",
               GOODPUT, "closing", "mean"),
    FigureSpec("retry_amplification", "attempts/req",
               "attempts per logical request from the trigger to the end",
               ATTEMPTS, "storm", "ratio of sums"),
    FigureSpec("retry_amplification_after", "attempts/req",
               "attempts per logical request after the trigger, before any action",
               ATTEMPTS, "after", "ratio of sums"),
    FigureSpec("retry_amplification_before", "attempts/req", "attempts per logical request at baseline",
               ATTEMPTS, "before", "ratio of sums"),
    FigureSpec("wasted_work", "worker-s", "service time spent on requests whose client had already given up",
               ("wasted_work",), "storm", "integral"),
    FigureSpec("peak_connection_attempts", "conn/s",
               "highest rate of connection attempts at the device after the trigger",
               ("connection_attempts",), "storm", "max"),
    FigureSpec("peak_retries_sent", "retries/s", _SENT,
               RETRIES, "retry wave", "busiest 100 ms", only_if=fine_timing.RETRIES),
    FigureSpec("retries_sent_peak_to_mean", "ratio",
               "that peak over the mean of the same 100 ms slots: how synchronized the retries were",
               RETRIES, "retry wave", "busiest 100 ms / mean", only_if=fine_timing.RETRIES),
    FigureSpec("peak_arrivals_fine", "conn/s", _ARRIVED,
               ARRIVALS, "retry wave", "busiest 100 ms", only_if=fine_timing.ARRIVALS),
    FigureSpec("arrivals_peak_to_mean", "ratio",
               "that peak over the mean of the same 100 ms slots: how synchronized the connection attempts "
               "were (about 1 to 2 for independent arrivals; more when retries fire in waves)",
               ARRIVALS, "retry wave", "busiest 100 ms / mean", only_if=fine_timing.ARRIVALS),
    FigureSpec("connection_setup_limit", "conn/s", "the device's connection setup rate",
               ("connection_setup_limit",), "storm", "max"),
    FigureSpec("capacity", "attempts/s",
               "the device's capacity: its connection setup rate, as every attempt needs a new connection",
               ("capacity",), "storm", "max"),
    FigureSpec("operator_view_scrapes", "ratio",
               "share of the operator view's scrapes (through the device) that succeeded after the trigger",
               ("operator_view_up",), "storm", "mean", only_if="operator_view_up"),
    # ground truth is shown beside the operator view, or not at all
    FigureSpec("ground_truth_scrapes", "ratio",
               "share of ground-truth scrapes (out of band) that succeeded after the trigger",
               ("ground_truth_up",), "storm", "mean", only_if="operator_view_up"),
    FigureSpec("time_to_recover", "s",
               "from the trigger's end (or last action) until goodput was back above the line for good",
               GOODPUT, "since the trigger", "time to recover"),
    # A hysteresis run's loop (experiments/hysteresis_loop.py), in fractions of the device's capacity.
    FigureSpec("collapse_load", "of capacity",
               "on the way up, between the last level still up and the first whose goodput fell below "
               "down_fraction of its offered load: the mean of their two offered loads",
               LOOP, "ramp", "collapse load", "ramp"),
    FigureSpec("recovery_load", "of capacity",
               "on the way down, between the last level still down and the first from which goodput was "
               "back for good: the mean of their two offered loads",
               LOOP, "ramp", "recovery load", "ramp"),
    FigureSpec("loop_width", "of capacity",
               "collapse_load - recovery_load: the loads at which the system is metastable (0: no collapse; "
               "null: it never came back on the ramp)", LOOP, "ramp", "loop width", "ramp"),
)
BY_NAME = {spec.name: spec for spec in FIGURES}


def retry_wave_window(scenario, series: dict[str, Series]) -> Window:
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


def _closing(s, _series) -> Window:
    start, end = s.windows()["recovery"]
    return max(start, end - CLOSING_SECONDS * s.time_scale), end


# name -> (what it is, its bounds from the scenario and the series)
WINDOWS: dict[str, tuple[str, Callable[..., Window]]] = {
    "before": ("warmup to trigger (or to the end, without one)", lambda s, _: s.windows()["before"]),
    "during": ("the trigger", lambda s, _: s.windows()["during"]),
    "after": ("trigger end to the first action (or the end)", lambda s, _: s.windows()["after"]),
    "storm": ("trigger start to the end", lambda s, _: (s.windows()["during"][0], s.end)),
    "since the trigger": ("trigger start to the end, on the 4 s mean", lambda s, _: (s.trigger["at"], s.end)),
    "closing": (f"the recovery window's last {CLOSING_SECONDS:g} s (scaled)", _closing),
    "settled": ("once the first 4 s mean covers only the baseline, to the end",
                lambda s, _: (s.windows()["before"][0] + SMOOTHING_SECONDS, s.end)),
    "retry wave": (f"{RETRY_WAVE_SECONDS:g} s from when the surge's retries began", retry_wave_window),
    "ramp": ("a hysteresis run's ramp, every level", lambda s, _: s.windows()["ramp"]),
}


def fall_and_recovery(goodput: Series, baseline: float | None, s,
                      window: Window) -> tuple[bool, float | None]:
    """On smoothed goodput: whether it fell below the line in ``window`` (from the trigger's
    start), and from when it stayed above the line to the end (None: it never did)."""
    if not baseline:
        return True, None
    line = s.down_fraction * baseline
    inside = [(t, v) for t, v in goodput if window[0] <= t <= window[1]]
    return any(v < line for _t, v in inside), back_for_good(inside, line, s.end)


def _baseline(s, goodput: Series) -> float | None:
    return aggregate(goodput, s.windows()["before"])


def _over_baseline(s, inputs: list[Series], window: Window) -> float | None:
    value, baseline = aggregate(inputs[0], window), _baseline(s, inputs[0])
    return None if value is None or not baseline else value / baseline


def _lowest_smoothed(_s, inputs: list[Series], window: Window) -> float | None:
    return min((v for t, v in smoothed(inputs[0]) if window[0] <= t <= window[1]), default=None)


def _wave(key: str) -> Callable[..., float | None]:
    def peak(_s, inputs: list[Series], window: Window) -> float | None:
        slots = [(t, v) for t, v in inputs[0] if window[0] <= t < window[1]]  # 100 ms slots: half open
        return fine_timing.peak_figures(slots)[key]

    return peak


def _time_to_recover(s, inputs: list[Series], window: Window) -> float | None:
    _fell, back = fall_and_recovery(smoothed(inputs[0]), _baseline(s, inputs[0]), s, window)
    return None if back is None else max(0.0, back - s.recovery_reference())


def loop_of_run(s, demand: Series, goodput: Series, capacity: Series) -> Loop:
    """The hysteresis loop of a ramp run's series."""
    return measure_loop(s.ramp, {"demand": demand, "goodput": goodput, "capacity": capacity},
                        settled_share=s.spec.ramp.settled_share, down_fraction=s.down_fraction)


def _loop(key: str) -> Callable[..., float | None]:
    def value(s, inputs: list[Series], _window: Window) -> float | None:
        return getattr(loop_of_run(s, *inputs), key)

    return value


# name -> (what it computes, how): each takes (scenario, the spec's series, the window)
AGGREGATIONS: dict[str, tuple[str, Callable[..., float | None]]] = {
    "mean": ("mean of the samples", lambda _s, inputs, w: aggregate(inputs[0], w)),
    "max": ("highest sample", lambda _s, inputs, w: aggregate(inputs[0], w, "max")),
    "ratio of sums": ("sum of the first over sum of the second (ratio of the integrals)",
                      lambda _s, inputs, w: ratio_of_sums(inputs[0], inputs[1], w)),
    "integral": ("area under the series (trapezoids)", lambda _s, inputs, w: integral(inputs[0], w)),
    "mean / baseline": ("mean over the window / mean before the trigger", _over_baseline),
    "lowest 4 s mean": ("lowest trailing 4 s mean", _lowest_smoothed),
    "busiest 100 ms": ("highest 100 ms slot, as a rate", _wave("peak")),
    "busiest 100 ms / mean": ("that slot over the mean of the window's slots", _wave("peak_to_mean")),
    "time to recover": ("from the trigger's end (or last action) until the 4 s mean stayed above "
                        "down_fraction x baseline; 0 if back before", _time_to_recover),
    "collapse load": ("of the loop the levels draw (experiments/hysteresis_loop.py)", _loop("collapse_load")),
    "recovery load": ("of the loop the levels draw", _loop("recovery_load")),
    "loop width": ("collapse load - recovery load", _loop("width")),
}


def applies(spec: FigureSpec, scenario, series: dict[str, Series]) -> bool:
    triggered, ramped = scenario.trigger is not None, bool(scenario.ramp)
    runs = {"all": True, "trigger": triggered, "steady": not (triggered or ramped), "ramp": ramped}[spec.runs]
    return runs and (spec.only_if is None or spec.only_if in series)


def measure(scenario, series: dict[str, Series]) -> dict[str, float | None]:
    """Every figure that applies to this run, unrounded, in the table's order."""
    values: dict[str, float | None] = {}
    for spec in FIGURES:
        if applies(spec, scenario, series):
            window = WINDOWS[spec.window][1](scenario, series)
            inputs = [series.get(name, []) for name in spec.series]
            values[spec.name] = AGGREGATIONS[spec.how][1](scenario, inputs, window)
    return values


def figure_records(scenario, series: dict[str, Series], values: dict[str, float | None]) -> dict[str, Figure]:
    """run.json's figures: each value rounded, with its unit and meaning."""
    records = {}
    for name, value in values.items():
        meaning = BY_NAME[name].meaning
        if "{wave}" in meaning:
            start, end = retry_wave_window(scenario, series)
            meaning = meaning.format(wave=f"the {end - start:g} s from when the surge's retries began "
                                          f"(t = {formatted(start, '.1f')} s)")
        records[name] = Figure(clean(value), BY_NAME[name].unit, meaning)
    return records


RUNS = {"all": "every run", "trigger": "with a trigger", "steady": "without a trigger or a ramp",
        "ramp": "hysteresis (a ramp)"}


def markdown_table() -> str:
    """The table as docs/experiments.md shows it."""
    lines = ["| figure | unit | runs | from | window | how | meaning |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for spec in FIGURES:
        runs = RUNS[spec.runs] + (f" that recorded `{spec.only_if}`" if spec.only_if else "")
        meaning = spec.meaning.replace("{wave}", "the retry wave")
        lines.append(f"| `{spec.name}` | {spec.unit} | {runs} | {', '.join(f'`{s}`' for s in spec.series)} | "
                     f"{WINDOWS[spec.window][0]} | {AGGREGATIONS[spec.how][0]} | {meaning} |")
    return "\n".join(lines)
