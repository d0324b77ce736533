"""run.json: one run's record, written by the runner and read by everything else.

Each part is a frozen dataclass of the stormlab_common/model.py pattern, so the record has
one definition: ``schema_of(RunRecord)`` is its JSON Schema (docs/experiments.md, "run.json";
``python -m experiments.run_record`` prints it), ``load_record(run_dir)`` is the one way to
read a run (a format-1 file is converted on the way in: experiments/run_format1.py) and
``save_record`` the one way to write it, atomically.

A run that stopped early is still a valid record: what it never got to is null (figures,
verdict, checks) or empty (timeline), and ``status`` and ``error`` say why.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from experiments.results_io import RunFileError, read_json_object, write_json_atomic
from stormlab_common.config import ConfigError
from stormlab_common.model import Meta, Name, dump, parse, schema_of

RUN_FORMAT = 2
RUN_FILE = "run.json"

VerdictName = Literal["stable", "recovered", "metastable"]
Operator = Literal["<", "<=", ">", ">="]
Aggregate = Literal["mean", "min", "max", "last"]
Seconds = Annotated[float, Meta(description="seconds since the run's timeline started")]
UtcTime = Annotated[str, Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
                              description="a UTC time, YYYY-MM-DDTHH:MM:SSZ")]
FigureName = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$",
                                 description="a figure's name, e.g. goodput_after")]
Window = Annotated[tuple[float, ...], Meta(min_items=2, max_items=2,
                                           description="[start, end], seconds since the run started")]


@dataclass(frozen=True)
class Expectation:
    """The verdict the scenario expects, and why the physics says so."""

    verdict: VerdictName
    reasoning: str


@dataclass(frozen=True)
class Comparison:
    """A claim across runs: this run's figure against the run of another scenario in the
    same matrix (the scenario file's ``compare:`` entry; ``with`` there)."""

    name: str
    figure: FigureName
    with_scenario: Name
    operator: Operator


@dataclass(frozen=True)
class ScenarioAsRun:
    """The scenario as it ran."""

    name: Name
    description: str
    file: str
    expect: Expectation
    raw: Annotated[dict, Meta(schema={
        "type": "object",
        "description": "the scenario file as validated (stormlab_common/scenario/), extends merged, defaults "
                       "filled, times at full length"})]
    compare: tuple[Comparison, ...] = ()


@dataclass(frozen=True)
class Versions:
    stormlab: str
    python: str
    images: Annotated[dict[str, str], Meta(description=(
        "each compose service's image id; {\"error\": why} when they could not be read"))] = field(
        default_factory=dict)


@dataclass(frozen=True)
class ExecutedEvent:
    """A timeline event as it ran (experiments/timeline.py)."""

    name: str
    kind: Annotated[str, Meta(description="start, trigger, trigger_end, action, level (a ramp's) or end")]
    planned_seconds: Seconds
    executed_seconds: Seconds
    wall_time: Annotated[float, Meta(description="when it ran, Unix time (for Grafana's annotations)")]
    action: str
    detail: str
    ok: bool = True
    error: Annotated[str | None, Meta(description="why it failed (the run stopped there)")] = None


@dataclass(frozen=True)
class Figure:
    """A summary figure (experiments/figures.py declares them all)."""

    value: Annotated[float | None, Meta(description="null: not measurable in this run (e.g. no baseline)")]
    unit: str
    meaning: str


@dataclass(frozen=True)
class CheckResult:
    """One hypothesis check: a series' aggregate over a window against a threshold."""

    name: str
    window: str
    series: Annotated[str, Meta(description=(
        "the recorded series the value was read from (series.csv): a named one, or check:<n> for "
        "the n-th check's query"))]
    aggregate: Aggregate
    operator: Operator
    threshold: Annotated[float, Meta(description="as written in the scenario")]
    relative_to_baseline: Annotated[bool, Meta(description=(
        "the written threshold is a fraction of the series' mean before the trigger"))]
    absolute_threshold: Annotated[float | None, Meta(description=(
        "what the value was compared with; null: the series had no baseline to scale by"))]
    value: Annotated[float | None, Meta(description="the aggregate; null: no samples in the window")]
    passed: bool
    query: Annotated[str | None, Meta(description=(
        "the check's PromQL when it gave query: (null: it named a series)"))] = None

    @property
    def measured(self) -> str:
        """What was measured: the PromQL, or the series' name."""
        return self.query or self.series

    def check(self):
        if self.passed and (self.value is None or self.absolute_threshold is None):
            return [(("passed",), "a check without a value or a threshold cannot have passed")]
        return []


@dataclass(frozen=True)
class Verdict:
    verdict: VerdictName
    expected: VerdictName
    matches: bool
    reason: str

    def check(self):
        if self.matches != (self.verdict == self.expected):
            return [(("matches",), f"expected {self.verdict == self.expected} "
                                   f"({self.verdict} vs {self.expected}), got {self.matches}")]
        return []


AlertState = Literal["fired", "already_firing", "did_not_fire", "rules_not_loaded"]


@dataclass(frozen=True)
class AlertSeen:
    """One alert rule shipped with the stack (prometheus/rules/) and what it did in the run
    (experiments/alerts.py)."""

    name: str
    severity: Annotated[str, Meta(description="the rule's severity label (empty: none)")]
    for_duration: Annotated[str, Meta(description="the rule's for:, as written (e.g. 1m; 0s: none)")]
    state: Annotated[AlertState, Meta(description=(
        "fired: it went to firing during the run; already_firing: it was firing when the run started "
        "(paged before it) and did not fire anew; did_not_fire: loaded, never firing; rules_not_loaded: "
        "no ALERTS series of it, and Prometheus could not be shown to have its rule"))]
    first_firing_seconds: Annotated[float | None, Meta(description=(
        "seconds since the run's timeline started when it first went to firing: when its page would "
        "have gone out; null: it did not"))] = None
    first_pending_seconds: Annotated[float | None, Meta(description=(
        "when its condition was first seen holding, waiting out for: (null: never pending in the run; "
        "an alert without for: fires at once)"))] = None
    firing_at_start: Annotated[bool, Meta(description=(
        "already firing when the run started (left over from before it)"))] = False

    def check(self):
        problems = []
        if (self.first_firing_seconds is not None) != (self.state == "fired"):
            expected = "a number" if self.state == "fired" else "null"
            problems.append((("first_firing_seconds",), f"expected {expected} in state {self.state}, "
                             f"got {self.first_firing_seconds!r}"))
        if self.state != "fired" and self.firing_at_start != (self.state == "already_firing"):
            problems.append((("firing_at_start",), f"expected {not self.firing_at_start} in state "
                             f"{self.state}, got {self.firing_at_start}"))
        return problems


@dataclass(frozen=True)
class AlertsSeen:
    """The alerts shipped with the stack, and when each fired during the run."""

    rules_files: Annotated[tuple[str, ...], Meta(description=(
        "the rule files the alerts were read from, relative to the repository"))]
    confirmed_by: Annotated[Literal["rules_api", "alerts_series", "unconfirmed"], Meta(description=(
        "how the rules were known to be loaded: listed by Prometheus's /api/v1/rules; inferred from "
        "ALERTS series of them (the rules API did not answer); unconfirmed: neither"))]
    alerts: tuple[AlertSeen, ...] = ()


@dataclass(frozen=True)
class Artifacts:
    """The run's other files, relative to its directory."""

    series: str = "series.csv"
    report_md: str = "report.md"
    report_html: str = "report.html"
    plots: Annotated[dict[str, str], Meta(description=(
        "plot name -> PNG file, once the report drew them"))] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerBusy:
    """How busy one container was, from the Docker API's CPU counter read once a second
    (experiments/container_cpu.py); cores: 1.0 is one core the whole second."""

    peak_cores: Annotated[float, Meta(ge=0, description="its busiest second")]
    peak_at: Annotated[float, Meta(description="when, in seconds since the window started")]
    mean_cores: Annotated[float, Meta(ge=0)]
    samples: Annotated[int, Meta(ge=1, description="the seconds measured")]


@dataclass(frozen=True)
class CpuSeen:
    """Each container's CPU over the run's timeline and over its trigger (the storm's peak)."""

    run: Annotated[dict[str, ContainerBusy], Meta(description="by container name, the whole timeline")]
    during: Annotated[dict[str, ContainerBusy], Meta(description=(
        "by container name, the trigger's window ('during'); empty without a trigger"))]
    saturated_at_cores: Annotated[float, Meta(gt=0, description=(
        "a peak at or above this many cores counts as saturated (one process uses one core at most)"))]
    machine_cores: Annotated[int | None, Meta(ge=1, description=(
        "the cores of the machine the runner ran on (the Compose stack's, unless workers run elsewhere): "
        "'(all containers)', the sum per second, is saturated at 0.9 of them"))] = None


@dataclass(frozen=True)
class RunRecord:
    """One run of one scenario (run.json)."""

    format: Annotated[Literal[2], Meta(description="the record's format; 1 was the untyped run.json "
                                                   "before it (read and converted)")]
    scenario: ScenarioAsRun
    status: Annotated[Literal["running", "complete", "interrupted", "failed"], Meta(description=(
        "running until the run ends; interrupted: Ctrl-C or SIGTERM; failed: a call or the analysis failed"))]
    seed: int
    time_scale: Annotated[float, Meta(gt=0, le=10)]
    started_at: UtcTime
    versions: Versions
    device: Annotated[Literal["proxy", "kernel"], Meta(description=(
        "the device between the networks the run crossed: the proxy (proxy/, user space) or the kernel "
        "device (router/); a knob the kernel lacks is left out and named in notes"))] = "proxy"
    error: Annotated[str | None, Meta(description="why the run did not complete")] = None
    workers: Annotated[int | None, Meta(ge=0, description=(
        "the load generator's workers running the clients just before the timeline started, as its "
        "master counted them (GET /stormlab/workers): the stack's own and any on other hosts; null: not "
        "recorded"))] = None
    ended_at: UtcTime | None = None
    timeline: tuple[ExecutedEvent, ...] = ()
    windows: Annotated[dict[str, Window], Meta(description=(
        "the analysis windows: before, during, after, action:<name>, recovery, final"))] = field(
        default_factory=dict)
    figures: Annotated[dict[FigureName, Figure] | None, Meta(description=(
        "experiments/figures.py's, by name; null: the run ended before them"))] = None
    verdict: Annotated[Verdict | None, Meta(description="null: the run ended before it")] = None
    checks: Annotated[tuple[CheckResult, ...] | None, Meta(description=(
        "the steady-state hypothesis, in the scenario's order; null: the run ended before them"))] = None
    alerts: Annotated[AlertsSeen | None, Meta(description=(
        "when each alert rule shipped with the stack fired during the run (prometheus/rules/); null: not "
        "recorded (a run from before the rules, one stopped before its timeline ran, or Prometheus did not "
        "answer)"))] = None
    cpu: Annotated[CpuSeen | None, Meta(description=(
        "each container's CPU from the Docker API; null: not recorded (an older run, or the Engine did not "
        "answer)"))] = None
    notes: Annotated[tuple[str, ...], Meta(description=(
        "what the runner could not do or chose not to (a series not recorded, a setting not restored)"))] = ()
    artifacts: Artifacts = field(default_factory=Artifacts)

    def check(self):
        problems = [(("windows", name), f"expected start <= end, got [{start:g}, {end:g}]")
                    for name, (start, end) in self.windows.items() if start > end]
        if self.status == "complete":
            problems += [((part,), "a complete run has it; got null")
                         for part in ("figures", "verdict", "checks") if getattr(self, part) is None]
        if self.verdict is not None and self.verdict.expected != self.scenario.expect.verdict:
            problems.append((("verdict", "expected"), f"expected the scenario's "
                             f"{self.scenario.expect.verdict!r}, got {self.verdict.expected!r}"))
        return problems


def load_record(run_dir: str | Path) -> RunRecord:
    """The run in ``run_dir``. Raises RunFileError saying what is wrong: no run.json, not
    JSON, a format this version cannot read, or every problem with its path."""
    path = Path(run_dir) / RUN_FILE
    data = read_json_object(path, missing=f"no {RUN_FILE} in {run_dir} (is it a run directory?)")
    version = data.get("format")  # which reader, before anything else is believed
    if version == 1:
        from experiments.run_format1 import from_format1

        data = from_format1(data, path)
    elif version != RUN_FORMAT:
        raise RunFileError(
            f"{path} has format {version!r}; this version of stormlab reads formats 1 and {RUN_FORMAT} "
            "(a newer stormlab wrote it: read it with that version)")
    try:
        return parse(RunRecord, data, source=str(path))
    except ConfigError as exc:
        raise RunFileError(str(exc)) from None


def save_record(run_dir: str | Path, record: RunRecord) -> None:
    """Writes run.json whole or not at all (experiments/results_io.py)."""
    write_json_atomic(Path(run_dir) / RUN_FILE, dump(record))


def main() -> int:
    print(json.dumps(schema_of(RunRecord), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
