"""A scenario's timeline at the time scale it runs at, and the analysis windows it makes.

Times in the file are seconds at full length; ``time_scale`` shrinks the timeline for CI,
never the clients' timeouts, the device's limits or the recovery deadline: those are the
physics, and with them the verdicts, which must not depend on the scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stormlab_common.model import dump
from stormlab_common.scenario.actions import make_action
from stormlab_common.scenario.actions.base import Action
from stormlab_common.scenario.file import Timeline

FINAL_SECONDS = 10  # the "final" window: the run's last seconds, not scaled
# Clients starting and Prometheus's rate windows filling take the same time at any scale.
MIN_WARMUP_SECONDS = 10


@dataclass(frozen=True)
class TimedAction:
    name: str
    at: float
    action: Action


@dataclass(frozen=True)
class Schedule:
    """The timeline as it runs: every time scaled, in seconds since the run started."""

    time_scale: float
    warmup: float
    trigger: dict | None  # the trigger's keys, at and duration scaled
    actions: tuple[TimedAction, ...]
    end: float

    def windows(self) -> dict[str, tuple[float, float]]:
        """The analysis windows, in seconds since the run started."""
        windows: dict[str, tuple[float, float]] = {}
        first_action = self.actions[0].at if self.actions else self.end
        if self.trigger is None:
            windows["before"] = (self.warmup, self.end)
            return windows
        start, stop = self.trigger["at"], self.trigger["at"] + self.trigger["duration"]
        windows["before"] = (self.warmup, start)
        windows["during"] = (start, stop)
        windows["after"] = (stop, first_action)
        for index, timed in enumerate(self.actions):
            until = self.actions[index + 1].at if index + 1 < len(self.actions) else self.end
            windows[f"action:{timed.name}"] = (timed.at, until)
        windows["recovery"] = (self.recovery_reference(), self.end)
        windows["final"] = (max(self.recovery_reference(), self.end - FINAL_SECONDS), self.end)
        return windows

    def recovery_reference(self) -> float:
        """When the system should start recovering: the trigger's end, or the last action."""
        if self.actions:
            return self.actions[-1].at
        return self.trigger["at"] + self.trigger["duration"] if self.trigger else self.warmup


def scheduled(timeline: Timeline, time_scale: float, written: Sequence[Mapping] = ()) -> Schedule:
    """``timeline`` at ``time_scale``; ``written``: its actions as the file gives them."""
    trigger = None
    if timeline.trigger is not None:
        trigger = {**dump(timeline.trigger), "at": timeline.trigger.at * time_scale,
                   "duration": timeline.trigger.duration * time_scale}
    return Schedule(
        time_scale=float(time_scale),
        warmup=max(timeline.warmup * time_scale, min(timeline.warmup, MIN_WARMUP_SECONDS)),
        trigger=trigger,
        actions=tuple(TimedAction(action_name(index, step), step.at * time_scale,
                                  make_action(step, written[index] if index < len(written) else None))
                      for index, step in enumerate(timeline.actions)),
        end=timeline.end * time_scale,
    )


def action_name(index: int, step) -> str:
    """An action's name: as given, else ``<do>-<position from 1>`` (``move-link-1``)."""
    return step.name if step.name is not None else f"{step.do.replace('_', '-')}-{index + 1}"
