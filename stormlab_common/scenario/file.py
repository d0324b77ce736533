"""A scenario file's own keys (``experiments/<name>.yaml``, docs/experiments.md), defined once
in the pattern of stormlab_common/model.py: its JSON Schema, its defaults and its types all
come from these dataclasses (``schema_of(ScenarioFile)``).

Times are seconds at full length. What the components take (a device's limits, a service's
settings, the clients' config) is plain data here: the components' own rules check it,
against the stack's definition (experiments/validation.py), which also checks the names only
the runner knows (a comparison's figure and scenario).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from stormlab_common.fields import KEY
from stormlab_common.model import Meta, Name, Problem
from stormlab_common.queries import BY_NAME as SERIES
from stormlab_common.scenario.actions import ActionStep
from stormlab_common.scenario.ramp import Ramp
from stormlab_common.scenario.service_under_test import ServiceUnderTest

Operator = Literal["<", "<=", ">", ">="]
WINDOW_PATTERN = "^(before|during|after|recovery|final|action:[a-z][a-z0-9_-]*)$"
Window = Annotated[str, Meta(pattern=WINDOW_PATTERN,
                             description="before, during, after, recovery, final, or action:<name>")]


@dataclass(frozen=True)
class Expect:
    """The verdict the physics predicts, and why (printed in the report)."""

    verdict: Annotated[Literal["stable", "recovered", "metastable"], Meta(description="the verdict expected")]
    reasoning: Annotated[str, Meta(min_length=1, description="why the physics says so; printed in the "
                                                             "report")]


@dataclass(frozen=True)
class VerdictRules:
    """How the run is judged (docs/experiments.md, "Verdicts and figures")."""

    down_fraction: Annotated[float, Meta(gt=0, le=1, description=(
        "goodput below this fraction of baseline counts as down"))] = 0.5
    recover_within_seconds: Annotated[float, Meta(gt=0, description=(
        "recovered only if back this soon after the trigger ends (or the last action); not "
        "scaled"))] = 30.0


@dataclass(frozen=True)
class Topology:
    """The proxy's devices and links, as the run starts."""

    devices: Annotated[dict[Name, dict], Meta(description=(
        "device limits, PATCHed into the proxy (created if the stack has no such device)"))] = \
        field(default_factory=dict)
    links: Annotated[dict[Name, dict], Meta(description=(
        "link changes (device, faults), PATCHed into the proxy"))] = field(default_factory=dict)


@dataclass(frozen=True)
class Clients:
    """The client population (the load generator, docs/clients.md)."""

    count: Annotated[int, Meta(ge=1, le=2000, description="clients running at baseline")]
    spawn_rate: Annotated[float, Meta(gt=0, description="clients started per second")] = 100.0
    config: Annotated[dict, Meta(description=(
        "a merge patch over the load generator's config (docs/clients.md)"))] = field(default_factory=dict)


@dataclass(frozen=True)
class Trigger:
    """The scaling activity: a new membership and a surge of clients."""

    at: Annotated[float, Meta(ge=0, description="when it starts")]
    duration: Annotated[float, Meta(gt=0, description="how long the surge lasts")]
    surge_factor: Annotated[float, Meta(ge=1, description="the population grows this many times "
                                                          "during it")] = 1.0
    # announce a new membership of this service at the start: every watching client reconnects
    membership: Name | None = None
    boot_fetch: Annotated[bool, Meta(description=(
        "the surge's clients start at once and each sends one request to every target as it "
        "starts, as booting instances fetch their config: a synchronized first wave"))] = False


@dataclass(frozen=True)
class Timeline:
    """What happens when, in seconds since the run started (at full length)."""

    warmup: Annotated[float, Meta(ge=0, description="seconds before the baseline window opens")]
    end: Annotated[float, Meta(gt=0, description="the run stops here")]
    trigger: Trigger | None = None
    actions: Annotated[tuple[ActionStep, ...], Meta(description=(
        "operator actions, in order, after the trigger; do: names the action"))] = ()


@dataclass(frozen=True)
class Check:
    """A check of the steady-state hypothesis: one series, aggregated over a window, against
    a threshold."""

    name: Annotated[str, Meta(min_length=1, description="what it claims, in words")]
    window: Window
    operator: Annotated[Operator, Meta(description="value <operator> threshold passes")]
    threshold: Annotated[float, Meta(description="as written; see relative_to_baseline")]
    series: Annotated[str | None, Meta(description="a recorded series (stormlab_common/queries.py)")] = None
    query: Annotated[str | None, Meta(pattern=r"\S", description=(
        "a PromQL expression, recorded as series check:<n>"))] = None
    aggregate: Annotated[Literal["mean", "min", "max", "last"], Meta(description=(
        "how the window's samples become one value"))] = "mean"
    relative_to_baseline: Annotated[bool, Meta(description=(
        "threshold is a fraction of the series' mean before the trigger"))] = False

    def check(self) -> list[Problem]:
        if (self.series is None) == (self.query is None):
            return [((), "give exactly one of series or query")]
        if self.series is not None and not known_series(self.series):
            return [(("series",), f"unknown series {self.series!r}; see stormlab_common/queries.py")]
        return []


def known_series(name: str) -> bool:
    """A series the runner records: a named one, one of a family (``goodput:dns``), or capacity."""
    family = name.split(":")[0] + ":" if ":" in name else None
    return name in SERIES or family in SERIES or name == "capacity"


@dataclass(frozen=True)
class Comparison:
    """A claim across runs: a figure of this run against another scenario's in the same matrix.
    Which figures and scenarios there are, the runner knows (experiments/validation.py checks)."""

    name: Annotated[str, Meta(min_length=1, description="what it claims, in words")]
    figure: Annotated[str, Meta(pattern="^[a-z][a-z0-9_]*$", description=(
        "a figure of run.json, e.g. peak_retries_sent"))]
    with_scenario: Name = field(metadata={KEY: "with"})  # the other scenario
    operator: Annotated[Operator, Meta(description="this run's figure <operator> the other's passes")]


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario: the lab's settings, the clients, a timeline, and what to expect."""

    name: Name  # the results folder and the report use it
    description: Annotated[str, Meta(min_length=1, description="what runs; printed in the report")]
    expect: Expect
    clients: Clients
    timeline: Timeline
    order: Annotated[int, Meta(description="position in the matrix")] = 99
    seed: Annotated[int, Meta(description="the clients' random streams (same seed, same "
                                          "schedules)")] = 1
    verdict: VerdictRules = field(default_factory=VerdictRules)
    topology: Topology = field(default_factory=Topology)
    services: Annotated[dict[Name, dict], Meta(description=(
        "live settings per service (capacity, work, queue, mitigations), PATCHed into every "
        "replica's /admin/config"))] = field(default_factory=dict)
    hypothesis: Annotated[tuple[Check, ...], Meta(description=(
        "the steady-state hypothesis: checks over named windows"))] = ()
    compare: Annotated[tuple[Comparison, ...], Meta(description=(
        "claims across runs, checked in the matrix summary (experiments/summary.py)"))] = ()
    ramp: Annotated[Ramp | None, Meta(description=(
        "a hysteresis run: the offered load held at a staircase of levels up past the device's "
        "capacity and back, instead of a trigger (docs/experiments.md)"))] = None
    service_under_test: ServiceUnderTest | None = None
