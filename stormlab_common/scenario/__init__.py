"""A scenario as the runner runs it and the model reads it: read (``extends:`` merged),
checked by its own rules, and time-scaled, once. Offline: files in, a ``Scenario`` out.

    scenario = load_scenario("experiments/retry-storm.yaml", time_scale=0.5)

Every problem is reported with its path before anything starts: an unknown key, a wrong
type, an action that does not exist, or a timeline that cannot run (events out of order, an
observation window too short to call anything metastable). The parts: the file's keys
(file.py), its timeline at a time scale (schedule.py), the timeline's rules (rules.py), the
operator actions (actions/), and the stack the files define (stack_definition.py). What the
scenario asks of the components, and what only the runner knows (its figures' names), is
checked by experiments/validation.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stormlab_common.config import ConfigError, merge_patch, read_yaml_file, validation_problems
from stormlab_common.model import build, dump, parse, problems_of, schema_of
from stormlab_common.scenario.file import Check, ScenarioFile, Timeline, VerdictRules
from stormlab_common.scenario.ramp import RampLevel, ramp_levels
from stormlab_common.scenario.rules import (
    client_timeout,
    ramp_capacity,
    ramp_problems,
    timeline_problems,
    window_problems,
)
from stormlab_common.scenario.schedule import Schedule, scheduled
from stormlab_common.scenario.service_under_test import ServiceUnderTest, clients_config, service_problems
from stormlab_common.scenario.stack_definition import ROOT

CANONICAL = ROOT / "experiments"  # the scenarios a bare name in ``extends:`` may also mean


@dataclass(frozen=True)
class Scenario(Schedule):
    name: str
    description: str
    expected_verdict: str
    reasoning: str
    seed: int
    raw: dict  # as validated, defaults filled, at full length: what run.json records
    file: str
    down_fraction: float
    recover_within: float  # not scaled: how fast a system recovers is physics, not timeline
    devices: dict
    links: dict
    services: dict
    client_count: int
    spawn_rate: float
    client_config: dict  # as the run sends it (with a service under test: its target added)
    checks: tuple[dict, ...]
    client_timeout: float
    spec: ScenarioFile  # the file as parsed
    ramp: tuple[RampLevel, ...] = ()  # a hysteresis run's levels; () for every other run
    service_under_test: ServiceUnderTest | None = None  # your own service behind a link

    def windows(self) -> dict[str, tuple[float, float]]:
        """A hysteresis run's windows: its first level (the baseline), the ramp, and each branch."""
        if not self.ramp:
            return super().windows()
        first, peak, last = self.ramp[0], [lv for lv in self.ramp if lv.branch == "rising"][-1], self.ramp[-1]
        return {"rising": (first.start, peak.end), "falling": (peak.end, last.end),
                "before": (first.start, first.end), "ramp": (first.start, last.end)}


def load_scenario(path: str | Path, time_scale: float = 1.0) -> Scenario:
    """The scenario at ``path``, validated and scaled; ConfigError lists every problem."""
    return parse_scenario(read_scenario(path), time_scale, str(path))


def read_scenario(path: str | Path, seen: tuple[Path, ...] = ()) -> dict:
    """The file's mapping; with ``extends: <name>``, merged (RFC 7386) over that scenario's
    (the file beside it, else the one in experiments/), so a variant states only how it
    differs ("same load and trigger as retry-storm")."""
    path = Path(path)
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
    parent_path = _parent_path(path, parent)
    if parent_path.resolve() in seen or parent_path.resolve() == path.resolve():
        raise ConfigError([f"extends: {parent!r} extends this file again (a cycle)"], source)
    if not parent_path.exists():
        raise ConfigError([f"extends: no scenario {parent_path}"], source)
    return merge_patch(read_scenario(parent_path, (*seen, path.resolve())), raw)


def _parent_path(path: Path, parent: str) -> Path:
    """The file ``extends: <parent>`` means: beside ``path``; failing that, a bare name is one of
    the canonical scenarios, so a scenario anywhere (examples/own-service/) may extend
    ``retry-storm``."""
    file = parent if parent.endswith((".yaml", ".yml")) else f"{parent}.yaml"
    beside, canonical = path.parent / file, CANONICAL / file
    if not beside.exists() and "/" not in parent and canonical.exists():
        return canonical
    return beside


def parse_scenario(raw: Any, time_scale: float = 1.0, file: str = "<scenario>") -> Scenario:
    source = f"scenario {file}"
    if isinstance(time_scale, bool) or not isinstance(time_scale, int | float) or not 0 < time_scale <= 10:
        raise ConfigError([f"time_scale: expected a number in (0, 10], got {time_scale!r}"], source)
    try:
        spec = parse(ScenarioFile, raw, source)
    except ConfigError as exc:
        raise ConfigError(exc.problems + _rules_of_well_formed_parts(raw, time_scale), source) from None
    scenario = _scenario(spec, time_scale, file, raw["timeline"].get("actions", []))
    problems = timeline_problems(scenario, scenario.client_timeout, scenario.recover_within)
    problems += ramp_problems(spec, scenario)
    problems += window_problems(dict(enumerate(spec.hypothesis)), scenario)
    problems += service_problems(spec.service_under_test, spec.clients.config)
    if problems:
        raise ConfigError(problems, source)
    return scenario


def _scenario(spec: ScenarioFile, time_scale: float, file: str, written_actions: list) -> Scenario:
    schedule = scheduled(spec.timeline, time_scale, written_actions)
    ramp = _ramp(spec, schedule)
    if ramp:  # a warm-up kept at its 10 s least when scaled may push the last level past the scaled end
        schedule = replace(schedule, end=max(schedule.end, ramp[-1].end))
    return Scenario(
        **{key: getattr(schedule, key) for key in Schedule.__dataclass_fields__},
        name=spec.name,
        description=spec.description.strip(),
        expected_verdict=spec.expect.verdict,
        reasoning=spec.expect.reasoning.strip(),
        seed=spec.seed,
        raw=dump(spec),
        file=file,
        down_fraction=spec.verdict.down_fraction,
        recover_within=spec.verdict.recover_within_seconds,
        devices=spec.topology.devices,
        links=spec.topology.links,
        services=spec.services,
        client_count=spec.clients.count,
        spawn_rate=spec.clients.spawn_rate,
        client_config=clients_config(spec.clients.config, spec.service_under_test),
        checks=tuple(dump(check) for check in spec.hypothesis),
        client_timeout=client_timeout(spec.clients.config),
        spec=spec,
        ramp=ramp,
        service_under_test=spec.service_under_test,
    )


def _ramp(spec: ScenarioFile, schedule: Schedule) -> tuple[RampLevel, ...]:
    """The ramp's levels from the end of the warm-up; () without a ramp, or when the device's
    capacity is not set (ramp_problems says so)."""
    capacity = ramp_capacity(spec)
    if spec.ramp is None or capacity is None:
        return ()
    return ramp_levels(spec.ramp, schedule.warmup, schedule.time_scale, capacity, spec.clients.count)


def _rules_of_well_formed_parts(raw: Any, time_scale: float) -> list[str]:
    """The timeline's rules, when the timeline is well formed and another part is not: every
    problem at once. (With a faulty verdict section, its defaults stand in.)"""
    if not isinstance(raw, Mapping) or problems_of(Timeline, raw.get("timeline")):
        return []
    schedule = scheduled(build(Timeline, raw["timeline"]), time_scale)
    verdict = raw.get("verdict", {})
    rules = build(VerdictRules, verdict) if not problems_of(VerdictRules, verdict) else VerdictRules()
    clients = raw.get("clients")
    config = clients.get("config") if isinstance(clients, Mapping) else None
    hypothesis = raw.get("hypothesis")
    checks = {index: build(Check, check) for index, check in  # (a check breaking its own rule too)
              enumerate(hypothesis if isinstance(hypothesis, list) else ())
              if not validation_problems(schema_of(Check), check)}
    return (timeline_problems(schedule, client_timeout(config), rules.recover_within_seconds)
            + window_problems(checks, schedule))


__all__ = ["Scenario", "load_scenario", "parse_scenario", "read_scenario"]
