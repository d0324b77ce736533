"""A scenario file (``experiments/<name>.yaml``): loaded, validated and time-scaled here, once.

Every problem is reported with its path before anything starts: an unknown key, a wrong
type, an action that does not exist, or a timeline that cannot run (events out of order,
an observation window too short to call anything metastable).

Times in the file are seconds at full length; ``time_scale`` shrinks the timeline (and the
recovery deadline) for CI, never the clients' timeouts or the device's limits, so the
physics, and with them the verdicts, stay the same.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.actions import ACTIONS, make_action
from experiments.actions.base import Action
from stormlab_common.config import NAME_SCHEMA, ConfigError, merge_patch, read_yaml_file, validate

VERDICTS = ("stable", "recovered", "metastable")
# The shortest "after" window that may be called metastable, in client timeouts.
MIN_WINDOW_TIMEOUTS = 5
FINAL_SECONDS = 10
MIN_WARMUP_SECONDS = 10

_SECONDS = {"type": "number", "minimum": 0}
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}
_WINDOW = {
    "type": "string",
    "pattern": "^(before|during|after|recovery|final|action:[a-z][a-z0-9_-]*)$",
    "description": "before, during, after, recovery, final, or action:<name>",
}

CHECK_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "window", "operator", "threshold"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "series": {"type": "string", "description": "a recorded series (experiments/queries.py)"},
        "query": {"type": "string", "description": "or any PromQL expression, recorded as check:<n>"},
        "window": _WINDOW,
        "aggregate": {"enum": ["mean", "min", "max", "last"], "default": "mean"},
        "operator": {"enum": ["<", "<=", ">", ">="]},
        "threshold": {"type": "number"},
        "relative_to_baseline": {
            "type": "boolean",
            "default": False,
            "description": "threshold is a fraction of the series' mean before the trigger",
        },
    },
}

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "description", "expect", "clients", "timeline"],
    "properties": {
        "name": NAME_SCHEMA,
        "description": {"type": "string", "minLength": 1},
        "expect": {
            "type": "object",
            "additionalProperties": False,
            "required": ["verdict", "reasoning"],
            "properties": {
                "verdict": {"enum": list(VERDICTS)},
                "reasoning": {"type": "string", "minLength": 1},
            },
        },
        "order": {"type": "integer", "default": 99, "description": "position in the matrix"},
        "seed": {"type": "integer", "default": 1},
        "verdict": {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "properties": {
                "down_fraction": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 1,
                    "default": 0.5,
                    "description": "goodput below this fraction of baseline counts as down",
                },
                "recover_within_seconds": {
                    **_POSITIVE,
                    "default": 30,
                    "description": "recovered only if back this soon after the trigger "
                    "ends (or the last action)",
                },
            },
        },
        "topology": {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "properties": {
                "devices": {
                    "type": "object",
                    "default": {},
                    "propertyNames": NAME_SCHEMA,
                    "additionalProperties": {"type": "object"},
                    "description": "device limits, PATCHed into the proxy (created if missing)",
                },
                "links": {
                    "type": "object",
                    "default": {},
                    "propertyNames": NAME_SCHEMA,
                    "additionalProperties": {"type": "object"},
                    "description": "link changes (device, faults), PATCHed into the proxy",
                },
            },
        },
        "services": {
            "type": "object",
            "default": {},
            "propertyNames": NAME_SCHEMA,
            "additionalProperties": {"type": "object"},
            "description": "live settings per service (capacity, work, mitigations), PATCHed into "
            "every replica's /admin/config",
        },
        "clients": {
            "type": "object",
            "additionalProperties": False,
            "required": ["count"],
            "properties": {
                "count": {"type": "integer", "minimum": 1, "maximum": 2000},
                "spawn_rate": {**_POSITIVE, "default": 100},
                "config": {
                    "type": "object",
                    "default": {},
                    "description": "a merge patch over the load generator's config (docs/clients.md)",
                },
            },
        },
        "timeline": {
            "type": "object",
            "additionalProperties": False,
            "required": ["warmup", "end"],
            "properties": {
                "warmup": {**_SECONDS, "description": "seconds before the baseline window opens"},
                "trigger": {
                    "type": ["object", "null"],
                    "default": None,
                    "additionalProperties": False,
                    "required": ["at", "duration"],
                    "properties": {
                        "at": _SECONDS,
                        "duration": _POSITIVE,
                        "surge_factor": {
                            "type": "number",
                            "minimum": 1,
                            "default": 1,
                            "description": "the population grows this many times during it",
                        },
                        "membership": {
                            "anyOf": [NAME_SCHEMA, {"type": "null"}],
                            "default": None,
                            "description": "announce a new membership of this service at the "
                            "start: every watching client reconnects",
                        },
                        "boot_fetch": {
                            "type": "boolean",
                            "default": False,
                            "description": "the surge's clients start at once and each sends one "
                            "request to every target as it starts, as booting instances fetch "
                            "their config: a synchronized first wave",
                        },
                    },
                },
                "actions": {
                    "type": "array",
                    "default": [],
                    "items": {
                        "type": "object",
                        "required": ["at", "do"],
                        "properties": {"at": _SECONDS, "do": {"type": "string"}, "name": NAME_SCHEMA},
                    },
                },
                "end": _POSITIVE,
            },
        },
        "hypothesis": {"type": "array", "default": [], "items": CHECK_SCHEMA},
        "compare": {
            "type": "array",
            "default": [],
            "description": "checks of one of this run's figures against another scenario's run "
            "in the same matrix (experiments/summary.py)",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "figure", "with", "operator"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "figure": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
                               "description": "a summary figure of run.json, e.g. arrivals_peak_to_mean"},
                    "with": NAME_SCHEMA,
                    "operator": {"enum": ["<", "<=", ">", ">="]},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class TimedAction:
    name: str
    at: float
    action: Action


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    expected_verdict: str
    reasoning: str
    seed: int
    time_scale: float
    raw: dict  # as validated, at full length: what run.json records
    file: str
    down_fraction: float
    recover_within: float  # scaled
    devices: dict
    links: dict
    services: dict
    client_count: int
    spawn_rate: float
    client_config: dict
    warmup: float
    trigger: dict | None  # at/duration scaled
    actions: tuple[TimedAction, ...]
    end: float
    checks: tuple[dict, ...]
    client_timeout: float

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
        # the run's last seconds (unscaled, like the recovery deadline): where it ended up
        windows["final"] = (max(self.recovery_reference(), self.end - FINAL_SECONDS), self.end)
        return windows

    def recovery_reference(self) -> float:
        """When the system should start recovering: the trigger's end, or the last action."""
        if self.actions:
            return self.actions[-1].at
        return self.trigger["at"] + self.trigger["duration"] if self.trigger else self.warmup


def load_scenario(path: str | Path, time_scale: float = 1.0) -> Scenario:
    """The scenario at ``path``, validated and scaled; ConfigError lists every problem."""
    path = Path(path)
    return parse_scenario(_read_with_extends(path, ()), time_scale, str(path))


def _read_with_extends(path: Path, seen: tuple[Path, ...]) -> dict:
    """The file's mapping; with ``extends: <name>``, merged (RFC 7386) over that scenario's,
    so a variant states only how it differs ("same load and trigger as retry-storm")."""
    source = f"scenario {path}"
    try:
        raw = read_yaml_file(path)
    except ConfigError as exc:
        raise ConfigError(exc.problems, source) from None
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str) or not parent:
        raise ConfigError([f"extends: expected the name of another scenario, got {parent!r}"], source)
    parent_path = path.parent / (parent if parent.endswith((".yaml", ".yml")) else f"{parent}.yaml")
    if parent_path.resolve() in seen or parent_path.resolve() == path.resolve():
        raise ConfigError([f"extends: {parent!r} extends this file again (a cycle)"], source)
    if not parent_path.exists():
        raise ConfigError([f"extends: no scenario {parent_path}"], source)
    base = _read_with_extends(parent_path, (*seen, path.resolve()))
    return merge_patch(base, raw)


def parse_scenario(raw: Any, time_scale: float = 1.0, file: str = "<scenario>") -> Scenario:
    source = f"scenario {file}"
    if not isinstance(time_scale, (int, float)) or not 0 < time_scale <= 10:
        raise ConfigError([f"time_scale: expected a number in (0, 10], got {time_scale!r}"], source)
    spec = validate(SCHEMA, copy.deepcopy(raw), source)
    problems: list[str] = []
    actions = _actions(spec["timeline"]["actions"], time_scale, problems)
    client_timeout = _client_timeout(spec["clients"]["config"], problems)
    timeline = spec["timeline"]
    trigger = None
    if timeline["trigger"] is not None:
        trigger = {
            **timeline["trigger"],
            "at": timeline["trigger"]["at"] * time_scale,
            "duration": timeline["trigger"]["duration"] * time_scale,
        }
    end = timeline["end"] * time_scale
    scenario = Scenario(
        name=spec["name"],
        description=spec["description"].strip(),
        expected_verdict=spec["expect"]["verdict"],
        reasoning=spec["expect"]["reasoning"].strip(),
        seed=spec["seed"],
        time_scale=float(time_scale),
        raw=spec,
        file=file,
        down_fraction=spec["verdict"]["down_fraction"],
        # Not scaled: how fast a system recovers is physics (timeouts, backlogs), not timeline.
        recover_within=float(spec["verdict"]["recover_within_seconds"]),
        devices=spec["topology"]["devices"],
        links=spec["topology"]["links"],
        services=spec["services"],
        client_count=spec["clients"]["count"],
        spawn_rate=float(spec["clients"]["spawn_rate"]),
        client_config=spec["clients"]["config"],
        # Scaled, but not below MIN_WARMUP_SECONDS: clients starting and Prometheus's rate
        # windows filling take the same time at any scale.
        warmup=max(timeline["warmup"] * time_scale, min(timeline["warmup"], MIN_WARMUP_SECONDS)),
        trigger=trigger,
        actions=actions,
        end=end,
        checks=tuple(spec["hypothesis"]),
        client_timeout=client_timeout,
    )
    problems += _timeline_problems(scenario)
    problems += _check_problems(scenario)
    if problems:
        raise ConfigError(problems, source)
    return scenario


def _actions(specs: list[dict], time_scale: float, problems: list[str]) -> tuple[TimedAction, ...]:
    timed = []
    for index, spec in enumerate(specs):
        path = ("timeline", "actions", index)
        params = {key: value for key, value in spec.items() if key not in ("at", "do", "name")}
        try:
            action = make_action(spec["do"], params, path)
        except ConfigError as exc:
            problems += exc.problems
            continue
        timed.append(
            TimedAction(
                spec.get("name", f"{spec['do'].replace('_', '-')}-{index + 1}"),
                spec["at"] * time_scale,
                action,
            )
        )
    names = [t.name for t in timed]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"timeline.actions: two actions are named {name!r}; give each a unique name")
    return tuple(timed)


def _client_timeout(config: dict, problems: list[str]) -> float:
    """The longest attempt timeout among the scenario's client profiles (the default's if none)."""
    profiles = config.get("clients") if isinstance(config, dict) else None
    timeouts = [
        p.get("attempt_timeout_seconds", 1.0) for p in (profiles or {}).values() if isinstance(p, dict)
    ]
    numeric = [t for t in timeouts if isinstance(t, (int, float)) and t > 0]
    if len(numeric) != len(timeouts):
        problems.append("clients.config.clients: every attempt_timeout_seconds must be a positive number")
    return float(max(numeric, default=1.0))


def _timeline_problems(s: Scenario) -> list[str]:
    problems = []
    scaled = "" if s.time_scale == 1 else f" (at time scale {s.time_scale:g})"
    if s.warmup >= s.end:
        problems.append(f"timeline.warmup: must be before timeline.end{scaled}")
    if s.trigger is not None:
        start, stop = s.trigger["at"], s.trigger["at"] + s.trigger["duration"]
        if start <= s.warmup:
            problems.append(
                f"timeline.trigger.at: must come after the warmup ({s.warmup:g} s){scaled}: "
                "the baseline window would be empty"
            )
        if stop >= s.end:
            problems.append(
                f"timeline.trigger: ends at {stop:g} s, not before timeline.end ({s.end:g} s){scaled}"
            )
        previous = stop
        for index, timed in enumerate(s.actions):
            if timed.at < previous:
                problems.append(
                    f"timeline.actions.{index}.at: {timed.at:g} s comes before "
                    f"{'the trigger ends' if index == 0 else 'the action before it'} "
                    f"({previous:g} s){scaled}; actions run in order after the trigger"
                )
            if timed.at >= s.end:
                problems.append(
                    f"timeline.actions.{index}.at: {timed.at:g} s is not before timeline.end "
                    f"({s.end:g} s){scaled}"
                )
            previous = timed.at
        window = s.end - s.recovery_reference()
        needed = MIN_WINDOW_TIMEOUTS * s.client_timeout
        if window < needed:
            problems.append(
                f"timeline.end: the observation window after the trigger (or last action) is "
                f"{window:g} s{scaled}; it must be at least {MIN_WINDOW_TIMEOUTS}x the client "
                f"timeout ({needed:g} s) to tell metastable from slow"
            )
        if s.recover_within > window and s.time_scale >= 1:
            problems.append(
                f"verdict.recover_within_seconds: {s.recover_within:g} s is longer than the observation "
                f"window ({window:g} s)"
            )
    elif s.actions:
        problems.append("timeline.actions: operator actions need a trigger to respond to")
    return problems


def _check_problems(s: Scenario) -> list[str]:
    problems = []
    windows = s.windows()
    for index, check in enumerate(s.checks):
        if ("series" in check) == ("query" in check):
            problems.append(f"hypothesis.{index}: give exactly one of series or query")
        if check["window"] not in windows:
            problems.append(
                f"hypothesis.{index}.window: {check['window']!r} does not exist in this scenario; "
                f"windows: {', '.join(windows)}"
            )
        if "series" in check:
            from stormlab_common.queries import BY_NAME  # a recorded series, or one of a family

            family = check["series"].split(":")[0] + ":" if ":" in check["series"] else None
            if check["series"] not in BY_NAME and family not in BY_NAME and check["series"] != "capacity":
                problems.append(
                    f"hypothesis.{index}.series: unknown series {check['series']!r}; "
                    f"see experiments/queries.py"
                )
    return problems


__all__ = ["ACTIONS", "Scenario", "load_scenario", "parse_scenario"]
