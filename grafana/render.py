"""Rendering a dashboard description (grafana/model.py) to Grafana's dashboard JSON model
(schemaVersion 39): roles become one colour code across every dashboard, panels are laid out
left to right, and every dashboard gets the provisioned datasource, its template variables
and the experiment runner's annotations."""

from __future__ import annotations

from grafana.model import (
    ANNOTATION_KINDS,
    ANNOTATION_TAG,
    ANNOTATIONS_DATASOURCE,
    CAPACITY,
    DATASOURCE,
    GREY,
    GRID_COLUMNS,
    ROLE_COLOURS,
    SCHEMA_VERSION,
    Dashboard,
    Panel,
    Row,
    Variable,
)


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
