"""Building a dashboard description (grafana/model.py) with the Grafana Foundation SDK's typed
builders, and encoding it with the SDK's JSONEncoder to Grafana's dashboard JSON model.

Roles become one colour code across every dashboard, the SDK lays panels out left to right
(a new line when one is full), and every dashboard gets the provisioned datasource, its
template variables and the experiment runner's annotations. The SDK release is pinned in
pyproject.toml to the Grafana the image runs (grafana/Dockerfile): its models are that
Grafana's schema, and it writes that schema's version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import prometheus, stat, statetimeline, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as models
from grafana_foundation_sdk.models.prometheus import QueryEditorMode

from grafana.model import (
    ANNOTATION_KINDS,
    ANNOTATION_TAG,
    ANNOTATIONS_DATASOURCE_UID,
    CAPACITY,
    DATASOURCE_UID,
    GREY,
    ROLE_COLOURS,
    Dashboard,
    Panel,
    Row,
    Variable,
)

PROMETHEUS = models.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
ANNOTATIONS = models.DataSourceRef(type_val="grafana", uid=ANNOTATIONS_DATASOURCE_UID)
PanelBuilder = timeseries.Panel | stat.Panel | statetimeline.Panel
PANEL_BUILDERS: dict[str, type[PanelBuilder]] = {
    "timeseries": timeseries.Panel,
    "stat": stat.Panel,
    "state-timeline": statetimeline.Panel,
}
# The refId Grafana's Prometheus variable editor gives a variable's query.
VARIABLE_REF_ID = "PrometheusVariableQueryEditor-VariableQuery"


def render(dashboard: Dashboard) -> dict:
    """The dashboard's JSON model, as the SDK encodes it."""
    encoded = json.loads(json.dumps(build(dashboard).build(), cls=JSONEncoder))
    # The one field the SDK has no place for: a query variable's `definition`, the query as
    # Grafana's variable editor shows (and saves) it. The SDK's VariableModel has no such
    # field, so it is copied from the query here.
    for variable in encoded["templating"]["list"]:
        variable["definition"] = variable["query"]["query"]
    return encoded


def build(dashboard: Dashboard) -> builders.Dashboard:
    built = (
        builders.Dashboard(dashboard.title)
        .uid(dashboard.uid)
        .description(dashboard.description)
        .tags(list(dashboard.tags))
        .version(1)
        .readonly()  # provisioned: Grafana's UI could not save a change anyway
        .tooltip(models.DashboardCursorSync.CROSSHAIR)  # the same instant on every panel
        .refresh("5s")
        .time(dashboard.time_from, "now")
        .live_now(False)
        # every stormlab dashboard one click away from the others
        .link(
            builders.DashboardLink("stormlab dashboards")
            .type(models.DashboardLinkType.DASHBOARDS)
            .tags(["stormlab"])
            .as_dropdown(False)
            .include_vars(False)
            .keep_time(True)
        )
        .variables([_variable(variable) for variable in dashboard.variables])
        .annotations(_annotations())
    )
    for panel_id, item in enumerate(dashboard.items, start=1):
        if isinstance(item, Row):
            built.with_row(builders.Row(item.title).id(panel_id))
        else:
            built.with_panel(_panel(item, panel_id))
    return built


def _panel(panel: Panel, panel_id: int) -> PanelBuilder:
    built = (
        PANEL_BUILDERS[panel.kind]()
        .id(panel_id)
        .title(panel.title)
        .description(panel.question)
        .datasource(PROMETHEUS)
        .span(panel.width)
        .height(panel.height)
        .unit(panel.unit)
        .targets(
            [
                prometheus.Dataquery()
                .ref_id(ref_id)
                .datasource(PROMETHEUS)
                .editor_mode(QueryEditorMode.CODE)
                .expr(series.expr)
                .legend_format(series.legend)
                .range()
                for ref_id, series in zip(_ref_ids(), panel.series, strict=False)
            ]
        )
        .thresholds(_thresholds(panel))
    )
    _overrides(built, panel)
    if panel.min is not None:
        built.min(panel.min)
    if panel.max is not None:
        built.max(panel.max)
    if panel.decimals is not None:
        built.decimals(panel.decimals)
    if panel.no_value is not None:
        built.no_value(panel.no_value)
    if panel.states:
        built.mappings(
            [
                models.ValueMap(
                    options={
                        str(state.value): models.ValueMappingResult(
                            text=state.text, color=state.colour, index=index
                        )
                        for index, state in enumerate(panel.states)
                    }
                )
            ]
        )
    if panel.repeat:
        built.repeat(panel.repeat).repeat_direction("h").max_per_row(3)
    if panel.kind == "timeseries":
        _time_series(built, panel)
    elif panel.kind == "state-timeline":
        _state_timeline(built)
    else:
        _stat(built, panel)
    return built


def _ref_ids() -> Iterator[str]:
    yield from "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _thresholds(panel: Panel) -> builders.ThresholdsConfig:
    steps = panel.thresholds or ((None, GREY),)
    if panel.limit_line is not None:
        steps = ((None, "transparent"), (panel.limit_line, GREY))
    return (
        builders.ThresholdsConfig()
        .mode(models.ThresholdsMode.ABSOLUTE)
        .steps([models.Threshold(value=value, color=colour) for value, colour in steps])
    )


def _legend(show: bool = True) -> common_builders.VizLegendOptions:
    return (
        common_builders.VizLegendOptions()
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(show)
        .calcs([])
    )


def _time_series(built: timeseries.Panel, panel: Panel) -> None:
    (
        built.color_scheme(builders.FieldColor().mode(models.FieldColorModeId.PALETTE_CLASSIC))
        .line_width(2)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .span_nulls(False)  # a gap is information: a scrape that never arrived
        .axis_label(panel.axis_label or "")
        # thresholds are drawn only as a limit line, dashed like every capacity
        .thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.OFF
                if panel.limit_line is None
                else common.GraphThresholdsStyleMode.DASHED
            )
        )
        .legend(_legend())
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
    )


def _state_timeline(built: statetimeline.Panel) -> None:
    (
        built.color_scheme(builders.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .fill_opacity(80)
        .line_width(0)
        .show_value(common.VisibilityMode.AUTO)
        .align_value(common.TimelineValueAlignment.LEFT)
        .legend(_legend(show=False))
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.SINGLE)
            .sort(common.SortOrder.NONE)
        )
    )


def _stat(built: stat.Panel, panel: Panel) -> None:
    (
        built.color_scheme(builders.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
        .text_mode(common.BigValueTextMode(panel.stat_text))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .justify_mode(common.BigValueJustifyMode.CENTER)
        .orientation(common.VizOrientation.AUTO)
    )


def _colour(mode: models.FieldColorModeId, colour: str) -> models.DynamicConfigValue:
    return models.DynamicConfigValue(id_val="color", value=models.FieldColor(mode=mode, fixed_color=colour))


def _overrides(built: PanelBuilder, panel: Panel) -> None:
    for ref_id, series in zip(_ref_ids(), panel.series, strict=False):
        if series.role is None:
            continue
        # a query split by a label gets shades of its role's colour, one per series
        mode = models.FieldColorModeId.SHADES if "{{" in series.legend else models.FieldColorModeId.FIXED
        properties = [_colour(mode, ROLE_COLOURS[series.role])]
        if series.role == CAPACITY:
            properties += [
                models.DynamicConfigValue(
                    id_val="custom.lineStyle", value=common.LineStyle(fill="dash", dash=[10, 10])
                ),
                models.DynamicConfigValue(id_val="custom.fillOpacity", value=0),
            ]
        built.override_by_query(ref_id, properties)
    for name, shown in panel.rename:
        built.override_by_name(name, [models.DynamicConfigValue(id_val="displayName", value=shown)])
    for name, colour in panel.name_colours:
        built.override_by_name(name, [_colour(models.FieldColorModeId.FIXED, colour)])


def _variable(variable: Variable) -> builders.QueryVariable:
    return (
        builders.QueryVariable(variable.name)
        .label(variable.label)
        .datasource(PROMETHEUS)
        .query({"query": variable.query, "refId": VARIABLE_REF_ID})
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)  # a scaled-out service's new replicas appear
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(models.VariableOption(selected=True, text=["All"], value=["$__all"]))
        .options([])
        .regex("")
        .sort(models.VariableSort.ALPHABETICAL_ASC)
        .hide(models.VariableHide.DONT_HIDE)
    )


def _annotations() -> list[builders.AnnotationQuery]:
    built_in = (
        builders.AnnotationQuery()
        .built_in(1)
        .datasource(ANNOTATIONS)
        .enable(True)
        .hide(True)
        .icon_color("rgba(0, 211, 255, 1)")
        .name("Annotations & Alerts")
        .type("dashboard")
    )
    return [built_in] + [
        builders.AnnotationQuery()
        .datasource(ANNOTATIONS)
        .enable(True)
        .hide(False)
        .icon_color(colour)
        .name(name)
        # matchAny false: an event must carry both tags, stormlab's and this kind
        .target(
            builders.AnnotationTarget().type("tags").tags([ANNOTATION_TAG, kind]).match_any(False).limit(100)
        )
        for kind, name, colour in ANNOTATION_KINDS
    ]
