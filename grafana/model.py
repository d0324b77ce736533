"""Compact dashboard descriptions, built into Grafana dashboards by grafana/render.py with the
Grafana Foundation SDK.

A dashboard is a list of panels and rows; a panel is its question, its unit and its series;
a series is a PromQL expression, a legend and its *role* in the story (goodput, load, waste,
capacity). Rendering turns roles into one colour code across every dashboard, lays panels
out left to right, and adds what every stormlab dashboard carries: the provisioned
datasource, multi-select template variables, and the experiment runner's annotations.
"""

from __future__ import annotations

from dataclasses import dataclass

# grafana/provisioning/datasources/prometheus.yml gives the ground-truth Prometheus this uid.
DATASOURCE_UID = "stormlab-prometheus"
# Grafana's own annotation store, where experiments/annotations.py posts the timeline.
ANNOTATIONS_DATASOURCE_UID = "-- Grafana --"
RATE = "$__rate_interval"  # at least four scrape intervals: rate() always has two samples

# The colour code a viewer learns once: green is what the clients got, orange what they
# sent, red what was wasted or refused, blue what they asked for, grey dashes what the
# device or service can take.
GOOD, LOAD, BAD, DEMAND, CAPACITY = "good", "load", "bad", "demand", "capacity"
GREY = "#a8a8a8"  # readable on both the dark and the light theme
ROLE_COLOURS = {GOOD: "green", LOAD: "orange", BAD: "red", DEMAND: "blue", CAPACITY: GREY}

# The runner tags every timeline event "stormlab" plus its kind (experiments/annotations.py,
# experiments/timeline.py); one annotation query per kind gives each its own colour.
ANNOTATION_TAG = "stormlab"
ANNOTATION_KINDS = (
    ("start", "clients start", "blue"),
    ("trigger", "scaling trigger", "red"),
    ("trigger_end", "trigger over", "orange"),
    ("action", "operator action", "purple"),
    ("level", "load level (a hysteresis ramp)", "yellow"),
    ("end", "experiment end", GREY),
)


@dataclass(frozen=True)
class Series:
    expr: str
    legend: str
    role: str | None = None  # GOOD, LOAD, BAD, DEMAND, CAPACITY: the series' colour and line


@dataclass(frozen=True)
class State:
    """A value a state-timeline or stat panel shows as a word and a colour."""

    value: int
    text: str
    colour: str


@dataclass(frozen=True)
class Panel:
    title: str
    question: str  # the panel's description: what a viewer learns from it
    series: tuple[Series, ...]
    unit: str
    width: int = 12  # of the 24 columns; the panels of a line fill all 24
    height: int = 8
    kind: str = "timeseries"  # or "stat", "state-timeline"
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    axis_label: str | None = None
    states: tuple[State, ...] = ()  # value mappings
    thresholds: tuple[tuple[float | None, str], ...] = ()  # (from value, colour); None = base
    stat_text: str = "value"  # a stat's text: "value", or "name" to show the series' legend
    rename: tuple[tuple[str, str], ...] = ()  # series name -> what the viewer reads
    name_colours: tuple[tuple[str, str], ...] = ()  # series name -> colour
    repeat: str | None = None  # one copy of the panel per value of this variable
    no_value: str | None = None  # what the panel says when its query returns nothing
    limit_line: float | None = None  # a dashed line at this value (100% of a limit)


@dataclass(frozen=True)
class Row:
    title: str


@dataclass(frozen=True)
class Variable:
    """A multi-select variable over a label's values; "All" is the regex ``.*``."""

    name: str
    label: str
    metric: str  # label_values(<metric><matchers>, <name>)
    matchers: str = ""  # e.g. '{device=~"$device"}' to offer only the chosen device's links

    @property
    def query(self) -> str:
        return f"label_values({self.metric}{self.matchers}, {self.name})"


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    items: tuple[Panel | Row, ...]
    variables: tuple[Variable, ...] = ()
    time_from: str = "now-10m"  # an experiment lasts a few minutes
    tags: tuple[str, ...] = ("stormlab",)
