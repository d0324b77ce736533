"""Compact dashboard descriptions, rendered to Grafana's dashboard JSON model (schemaVersion 39).

A dashboard is a list of panels and rows; a panel is its question, its unit and its series;
a series is a PromQL expression, a legend and its *role* in the story (goodput, load, waste,
capacity). Rendering turns roles into one colour code across every dashboard, lays panels
out left to right, and adds what every stormlab dashboard carries: the provisioned
datasource, multi-select template variables, and the experiment runner's annotations.
"""

from __future__ import annotations

from dataclasses import dataclass

# grafana/provisioning/datasources/prometheus.yml gives the ground-truth Prometheus this uid.
DATASOURCE = {"type": "prometheus", "uid": "stormlab-prometheus"}
# Grafana's own annotation store, where experiments/annotations.py posts the timeline.
ANNOTATIONS_DATASOURCE = {"type": "grafana", "uid": "-- Grafana --"}
RATE = "$__rate_interval"  # at least four scrape intervals: rate() always has two samples
SCHEMA_VERSION = 39
GRID_COLUMNS = 24

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
    width: int = 12
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


def render(dashboard: Dashboard) -> dict:
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": list(dashboard.tags),
        "timezone": "browser",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": False,
        "graphTooltip": 1,  # a shared crosshair: the same instant on every panel
        "refresh": "5s",
        "time": {"from": dashboard.time_from, "to": "now"},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        # every stormlab dashboard one click away from the others
        "links": [
            {
                "type": "dashboards",
                "tags": ["stormlab"],
                "asDropdown": False,
                "includeVars": False,
                "keepTime": True,
                "title": "stormlab dashboards",
            }
        ],
        "templating": {"list": [_variable(variable) for variable in dashboard.variables]},
        "annotations": {"list": _annotations()},
        "panels": _layout(dashboard.items),
    }


def _layout(items: tuple[Panel | Row, ...]) -> list[dict]:
    """Panels fill the grid left to right and wrap; a row starts a new line of its own."""
    rendered, x, y, line_height = [], 0, 0, 0
    for panel_id, item in enumerate(items, start=1):
        if isinstance(item, Row):
            y, x, line_height = y + line_height, 0, 0
            rendered.append(
                {
                    "id": panel_id,
                    "type": "row",
                    "title": item.title,
                    "collapsed": False,
                    "panels": [],
                    "gridPos": {"x": 0, "y": y, "w": GRID_COLUMNS, "h": 1},
                }
            )
            y += 1
            continue
        if x + item.width > GRID_COLUMNS:
            y, x, line_height = y + line_height, 0, 0
        rendered.append(_panel(item, panel_id, {"x": x, "y": y, "w": item.width, "h": item.height}))
        x, line_height = x + item.width, max(line_height, item.height)
    return rendered


def _panel(panel: Panel, panel_id: int, grid: dict) -> dict:
    body = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.question,
        "datasource": DATASOURCE,
        "gridPos": grid,
        "fieldConfig": {"defaults": _defaults(panel), "overrides": _overrides(panel)},
        "options": _options(panel),
        "targets": [
            {
                "refId": ref_id,
                "datasource": DATASOURCE,
                "editorMode": "code",
                "expr": series.expr,
                "legendFormat": series.legend,
                "range": True,
            }
            for ref_id, series in zip(_ref_ids(), panel.series, strict=False)
        ],
    }
    if panel.repeat:
        body.update(repeat=panel.repeat, repeatDirection="h", maxPerRow=3)
    return body


def _ref_ids():
    yield from "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _defaults(panel: Panel) -> dict:
    defaults: dict = {"unit": panel.unit}
    for key, name in (("min", "min"), ("max", "max"), ("decimals", "decimals"), ("no_value", "noValue")):
        if getattr(panel, key) is not None:
            defaults[name] = getattr(panel, key)
    if panel.states:
        defaults["mappings"] = [
            {
                "type": "value",
                "options": {
                    str(state.value): {"text": state.text, "color": state.colour, "index": index}
                    for index, state in enumerate(panel.states)
                },
            }
        ]
    steps = panel.thresholds or ((None, GREY),)
    if panel.limit_line is not None:
        steps = ((None, "transparent"), (panel.limit_line, GREY))
    defaults["thresholds"] = {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]}
    if panel.kind == "timeseries":
        defaults["color"] = {"mode": "palette-classic"}
        defaults["custom"] = {
            "lineWidth": 2,
            "fillOpacity": 10,
            "showPoints": "never",
            "spanNulls": False,  # a gap is information: a scrape that never arrived
            "axisLabel": panel.axis_label or "",
            # thresholds are drawn only as a limit line, dashed like every capacity
            "thresholdsStyle": {"mode": "off" if panel.limit_line is None else "dashed"},
        }
    elif panel.kind == "state-timeline":
        defaults["color"] = {"mode": "thresholds"}
        defaults["custom"] = {"fillOpacity": 80, "lineWidth": 0}
    else:
        defaults["color"] = {"mode": "thresholds"}
    return defaults


def _overrides(panel: Panel) -> list[dict]:
    overrides = []
    for ref_id, series in zip(_ref_ids(), panel.series, strict=False):
        if series.role is None:
            continue
        # a query split by a label gets shades of its role's colour, one per series
        mode = "shades" if "{{" in series.legend else "fixed"
        properties = [{"id": "color", "value": {"mode": mode, "fixedColor": ROLE_COLOURS[series.role]}}]
        if series.role == CAPACITY:
            properties += [
                {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                {"id": "custom.fillOpacity", "value": 0},
            ]
        overrides.append({"matcher": {"id": "byFrameRefID", "options": ref_id}, "properties": properties})
    for name, shown in panel.rename:
        overrides.append(
            {
                "matcher": {"id": "byName", "options": name},
                "properties": [{"id": "displayName", "value": shown}],
            }
        )
    for name, colour in panel.name_colours:
        overrides.append(
            {
                "matcher": {"id": "byName", "options": name},
                "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": colour}}],
            }
        )
    return overrides


def _options(panel: Panel) -> dict:
    if panel.kind == "stat":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": panel.stat_text,
            "colorMode": "background",
            "graphMode": "none",
            "justifyMode": "center",
            "orientation": "auto",
            "showPercentChange": False,
            "wideLayout": True,
        }
    legend = {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []}
    if panel.kind == "state-timeline":
        return {
            "mergeValues": True,
            "showValue": "auto",
            "alignValue": "left",
            "rowHeight": 0.9,
            "legend": {**legend, "showLegend": False},
            "tooltip": {"mode": "single", "sort": "none"},
        }
    return {"legend": legend, "tooltip": {"mode": "multi", "sort": "desc"}}


def _variable(variable: Variable) -> dict:
    return {
        "name": variable.name,
        "label": variable.label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": variable.query,
        "query": {"query": variable.query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,  # on time range change: a scaled-out service's new replicas appear
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "regex": "",
        "sort": 1,
        "hide": 0,
    }


def _annotations() -> list[dict]:
    built_in = {
        "builtIn": 1,
        "datasource": ANNOTATIONS_DATASOURCE,
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }
    return [built_in] + [
        {
            "datasource": ANNOTATIONS_DATASOURCE,
            "enable": True,
            "hide": False,
            "iconColor": colour,
            "name": name,
            # matchAny false: an event must carry both tags, stormlab's and this kind
            "target": {"type": "tags", "tags": [ANNOTATION_TAG, kind], "matchAny": False, "limit": 100},
        }
        for kind, name, colour in ANNOTATION_KINDS
    ]
