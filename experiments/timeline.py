"""A scenario's timeline as events at (scaled) seconds since the run's start, and the clock
that executes them in order, recording when each actually ran and whether it worked."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from experiments.lab import Lab
from stormlab_common.scenario import Scenario

BOOT_SPAWN_FACTOR = 20  # a booting surge starts at 20x its size per second: within ~50 ms


@dataclass
class Event:
    name: str
    kind: str  # start, trigger, trigger_end, action, level (a ramp's), end
    at: float
    action: str
    detail: str
    run: Callable[[], None]


def plan_events(scenario: Scenario, lab: Lab) -> list[Event]:
    count, rate = scenario.client_count, scenario.spawn_rate
    levels = scenario.ramp

    def start_clients() -> None:
        if levels:  # the warm-up runs at the ramp's first level
            _set_level(lab, levels[0])
        lab.set_client_count(count, rate)

    events = [
        Event(
            "clients start",
            "start",
            0.0,
            "start_clients",
            f"{count} clients, {scenario.spawn_rate:g} started per second"
            + (f", at {levels[0].load:g} x capacity" if levels else ""),
            start_clients,
        )
    ]
    for level in levels[1:]:
        events.append(Event(f"load {level.load:g}", "level", level.start, "set_load",
                            f"offered load {level.load:g} x capacity ({level.branch}): "
                            f"{level.requests_per_second:.3g} requests/s per client",
                            lambda level=level: _set_level(lab, level)))
    trigger = scenario.trigger
    if trigger is not None:
        factor, service = trigger["surge_factor"], trigger["membership"]
        surge = round(count * factor)
        boot = bool(trigger.get("boot_fetch")) and factor > 1
        # Booting instances come up together: the whole surge starts within a moment.
        surge_rate = max(rate, surge * BOOT_SPAWN_FACTOR) if boot else max(rate, surge)
        what = [f"clients x{factor:g} ({surge}) for {trigger['duration']:g} s"] if factor > 1 else []
        if boot:
            what.append("the new clients boot together, each fetching from every target at once")
        if service:
            what.append(f"new membership of {service} announced: watching clients reconnect")

        def start_trigger() -> None:
            if boot:  # before the spawn: every worker has it before any new client starts
                lab.set_client_setting("fetch_on_start", True)
            if service:
                lab.announce_membership(service)
            if factor > 1:
                lab.set_client_count(surge, surge_rate)

        events.append(
            Event(
                "scaling activity",
                "trigger",
                trigger["at"],
                "surge",
                "; ".join(what) or "trigger",
                start_trigger,
            )
        )
        if factor > 1:
            events.append(
                Event(
                    "scaling activity over",
                    "trigger_end",
                    trigger["at"] + trigger["duration"],
                    "end_surge",
                    f"back to {count} clients",
                    lambda: lab.set_client_count(count, surge_rate),  # every surge client stops at once
                )
            )
        else:
            events.append(
                Event(
                    "scaling activity over",
                    "trigger_end",
                    trigger["at"] + trigger["duration"],
                    "none",
                    "trigger over",
                    lambda: None,
                )
            )
    for timed in scenario.actions:
        events.append(
            Event(
                timed.name,
                "action",
                timed.at,
                timed.action.name,
                timed.action.describe(),
                lambda timed=timed: timed.action.apply(lab),
            )
        )
    events.append(Event("end", "end", scenario.end, "stop_clients", "clients stopped", lab.stop_clients))
    return events


def _set_level(lab: Lab, level) -> None:
    lab.set_client_setting("arrivals", {"requests_per_second": level.requests_per_second})


class TimelineClock:
    """Runs events at their times on the monotonic clock; ``on_tick`` is called while waiting
    (the progress bar) with (seconds elapsed, name of the current phase)."""

    def __init__(
        self,
        events: list[Event],
        on_tick: Callable[[float, str], None] = lambda s, p: None,
        tick_seconds: float = 0.5,
    ):
        self.events = events
        self.on_tick = on_tick
        self.tick_seconds = tick_seconds
        self.executed: list[dict] = []
        self.started_monotonic: float | None = None
        self.started_wall: float | None = None

    def elapsed(self) -> float:
        return 0.0 if self.started_monotonic is None else time.monotonic() - self.started_monotonic

    def run(self) -> None:
        self.started_monotonic, self.started_wall = time.monotonic(), time.time()
        phase = "starting"
        for event in self.events:
            while (wait := event.at - self.elapsed()) > 0:
                self.on_tick(self.elapsed(), phase)
                time.sleep(min(wait, self.tick_seconds))
            executed_at = self.elapsed()
            record = {
                "name": event.name,
                "kind": event.kind,
                "planned_seconds": round(event.at, 3),
                "executed_seconds": round(executed_at, 3),
                "wall_time": self.started_wall + executed_at,
                "action": event.action,
                "detail": event.detail,
                "ok": True,
                "error": None,
            }
            self.executed.append(record)
            try:
                event.run()
            except Exception as exc:  # recorded, and the run stops: its results would mislead
                record["ok"], record["error"] = False, f"{type(exc).__name__}: {exc}"
                raise
            phase = _phase_after(event)
            self.on_tick(self.elapsed(), phase)


def _phase_after(event: Event) -> str:
    return {
        "start": "baseline",
        "trigger": "trigger: surge",
        "trigger_end": "after the trigger",
        "end": "done",
    }.get(event.kind, f"after {event.name}")
