"""The rules a scenario's timeline must follow to be run and judged at all: events in order,
a baseline window, an observation window long enough to call anything metastable (at the
time scale it runs at), actions with unique names, and checks over windows that exist."""

from __future__ import annotations

from collections.abc import Mapping

from stormlab_common.scenario.file import Check, ScenarioFile
from stormlab_common.scenario.schedule import Schedule

# The shortest "after" window that may be called metastable, in client timeouts.
MIN_WINDOW_TIMEOUTS = 5


def timeline_problems(s: Schedule, client_timeout: float, recover_within: float) -> list[str]:
    problems = _name_problems(s)
    scaled = "" if s.time_scale == 1 else f" (at time scale {s.time_scale:g})"
    if s.warmup >= s.end:
        problems.append(f"timeline.warmup: must be before timeline.end{scaled}")
    if s.trigger is None:
        if s.actions:
            problems.append("timeline.actions: operator actions need a trigger to respond to")
        return problems
    start, stop = s.trigger["at"], s.trigger["at"] + s.trigger["duration"]
    if start <= s.warmup:
        problems.append(f"timeline.trigger.at: must come after the warmup ({s.warmup:g} s){scaled}: "
                        "the baseline window would be empty")
    if stop >= s.end:
        problems.append(f"timeline.trigger: ends at {stop:g} s, not before timeline.end ({s.end:g} s)"
                        f"{scaled}")
    previous = stop
    for index, timed in enumerate(s.actions):
        if timed.at < previous:
            problems.append(
                f"timeline.actions.{index}.at: {timed.at:g} s comes before "
                f"{'the trigger ends' if index == 0 else 'the action before it'} "
                f"({previous:g} s){scaled}; actions run in order after the trigger")
        if timed.at >= s.end:
            problems.append(f"timeline.actions.{index}.at: {timed.at:g} s is not before timeline.end "
                            f"({s.end:g} s){scaled}")
        previous = timed.at
    window = s.end - s.recovery_reference()
    needed = MIN_WINDOW_TIMEOUTS * client_timeout
    if window < needed:
        problems.append(
            f"timeline.end: the observation window after the trigger (or last action) is {window:g} s"
            f"{scaled}; it must be at least {MIN_WINDOW_TIMEOUTS}x the client timeout ({needed:g} s) to "
            "tell metastable from slow")
    if recover_within > window and s.time_scale >= 1:
        problems.append(f"verdict.recover_within_seconds: {recover_within:g} s is longer than the "
                        f"observation window ({window:g} s)")
    return problems


def window_problems(checks: Mapping[int, Check], s: Schedule) -> list[str]:
    """Each check's window must be one this timeline has."""
    windows = s.windows()
    return [f"hypothesis.{index}.window: {check.window!r} does not exist in this scenario; windows: "
            f"{', '.join(windows)}" for index, check in checks.items() if check.window not in windows]


def _name_problems(s: Schedule) -> list[str]:
    names = [timed.name for timed in s.actions]
    return [f"timeline.actions: two actions are named {name!r}; give each a unique name"
            for name in sorted({n for n in names if names.count(n) > 1})]


def client_timeout(config: object) -> float:
    """The longest attempt timeout among the scenario's client profiles (the default's, 1 s,
    for a profile that gives none, and if it names no profiles). What is not a positive number
    counts for nothing here: the clients' own rules say what is wrong with it."""
    profiles = config.get("clients") if isinstance(config, dict) else None
    timeouts = [profile.get("attempt_timeout_seconds", 1.0) for profile in
                (profiles.values() if isinstance(profiles, dict) else ()) if isinstance(profile, dict)]
    numbers = [t for t in timeouts if isinstance(t, int | float) and not isinstance(t, bool) and t > 0]
    return float(max(numbers, default=1.0))


def ramp_capacity(spec: ScenarioFile) -> float | None:
    """The capacity a ramp's levels are fractions of: its device's connection setup rate as the
    scenario sets it; None when it sets none."""
    if spec.ramp is None:
        return None
    device = spec.topology.devices.get(spec.ramp.device)
    connections = device.get("connections") if isinstance(device, Mapping) else None
    rate = connections.get("new_per_second") if isinstance(connections, Mapping) else None
    return float(rate) if isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0 else None


def ramp_problems(spec: ScenarioFile, s: Schedule) -> list[str]:
    """A ramp replaces the trigger, needs a capacity to be a fraction of, and must fit the timeline."""
    ramp = spec.ramp
    if ramp is None:
        return []
    problems = []
    if spec.timeline.trigger is not None:
        problems.append("ramp: a hysteresis run ramps the load instead of a trigger; remove timeline.trigger "
                        "or the ramp")
    if ramp_capacity(spec) is None:
        problems.append(f"ramp.device: the scenario sets no connections.new_per_second for device "
                        f"{ramp.device!r} (topology.devices.{ramp.device}); the ramp's levels are fractions "
                        "of it")
    levels, timeline = len(ramp.loads()), spec.timeline
    needed = timeline.warmup + levels * ramp.hold_seconds  # at full length, as the file gives times
    if timeline.end < needed - 1e-6:
        problems.append(f"timeline.end: the ramp's {levels} levels of {ramp.hold_seconds:g} s after the "
                        f"{timeline.warmup:g} s warm-up end at {needed:g} s; expected timeline.end at least "
                        f"{needed:g}, got {timeline.end:g}")
    return problems
