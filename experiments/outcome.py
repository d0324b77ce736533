"""The run record as the runner builds it: at the start (``started_record``: the scenario,
seed, versions, windows; status running), with the timeline as executed, and after the
analysis (``analysed``: figures, verdict and checks, or a failed status saying why the
analysis could not be made). The runner writes each stage; the tests build their runs with
the same functions, so what they feed the report is what the runner writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from experiments.checks import evaluate_checks
from experiments.run_record import (
    RUN_FORMAT,
    Comparison,
    ExecutedEvent,
    Expectation,
    RunRecord,
    ScenarioAsRun,
    Versions,
)
from experiments.series_math import Series
from experiments.verdict import judge
from stormlab_common.model import parse
from stormlab_common.scenario import Scenario


def scenario_as_run(scenario: Scenario) -> ScenarioAsRun:
    return ScenarioAsRun(
        name=scenario.name,
        description=scenario.description,
        file=scenario.file,
        expect=Expectation(scenario.expected_verdict, scenario.reasoning),
        raw=scenario.raw,
        compare=tuple(Comparison(entry["name"], entry["figure"], entry["with"], entry["operator"])
                      for entry in scenario.raw.get("compare", [])),
    )


def started_record(scenario: Scenario, started_at: str, versions: Versions) -> RunRecord:
    return RunRecord(
        format=RUN_FORMAT, scenario=scenario_as_run(scenario), status="running", seed=scenario.seed,
        time_scale=scenario.time_scale, started_at=started_at, versions=versions,
        windows={name: tuple(bounds) for name, bounds in scenario.windows().items()},
    )


def executed_events(executed: Iterable[dict]) -> tuple[ExecutedEvent, ...]:
    """The timeline clock's record of each event (experiments/timeline.py), typed; ConfigError
    names what does not fit."""
    return tuple(parse(ExecutedEvent, event, "timeline as executed", ("timeline", index))
                 for index, event in enumerate(executed))


def analysed(record: RunRecord, scenario: Scenario, series: dict[str, Series]) -> RunRecord:
    """The record with its figures, verdict and checks. An analysis that fails marks the run
    failed with the reason, so the record still says what happened."""
    try:
        figures, verdict = judge(scenario, series)
        checks = evaluate_checks(scenario, series)
    except Exception as exc:
        return replace(record, status="failed", error=f"the analysis failed: {type(exc).__name__}: {exc}")
    return replace(record, figures=figures, verdict=verdict, checks=checks)
