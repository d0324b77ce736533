"""The provisioned dashboards: generated (never hand-edited), on the provisioned datasource,
querying only metrics and labels that exist, with variables that are defined, capacity drawn
dashed, the runner's annotations, and the overview's main panels on the recorded queries."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from experiments.annotations import TAGS as ANNOTATION_TAGS
from stormlab_common.queries import BY_NAME
from tests.grafana_support import (
    dashboard_files,
    load,
    panel_targets,
    panels,
    referenced_variables,
    variables,
)
from tests.promql_support import SHARED_NAMES, base_metric, is_known_metric, metric_names_in, selectors_in

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = {path.name: load(path) for path in dashboard_files()}
# Grafana's global variables a PromQL query may use
GRAFANA_BUILTINS = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"}
# labels Prometheus adds to every scraped series, besides a metric's own
TARGET_LABELS = {"job", "instance", "via"}


def provisioned_datasource() -> dict:
    config = yaml.safe_load((ROOT / "grafana/provisioning/datasources/prometheus.yml").read_text())
    (source,) = config["datasources"]
    return {"type": source["type"], "uid": source["uid"]}


def documented_labels() -> dict[str, set[str]]:
    """Each metric in docs/metrics.md's table and the labels its row lists."""
    rows = re.findall(r"^\| `(stormlab_[a-z_]+)` \| [^|]+ \| ([^|]+) \|", (ROOT / "docs/metrics.md").read_text(), re.M)
    return {name: {label.strip() for label in labels.split(",")} - {"(none)"} for name, labels in rows}


def walk(node, path=()):
    """Every (path, dict) in a JSON document."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def timeline_event_kinds() -> set[str]:
    """The kinds experiments/timeline.py gives its events: Event(name, kind, ...)'s second argument."""
    tree = ast.parse((ROOT / "experiments/timeline.py").read_text())
    return {
        node.args[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Event"
        and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
    }


@pytest.fixture
def build_dashboards():
    """The generator; it needs the Grafana Foundation SDK, which Debian does not package
    (tools/test-on-debian.sh): there only the checks of the committed JSON run."""
    pytest.importorskip(
        "grafana_foundation_sdk",
        reason="grafana-foundation-sdk is not installed (pip install -e '.[dev]'); the dashboards are built with it",
    )
    from grafana import build_dashboards

    return build_dashboards


def test_the_committed_json_is_what_the_generator_writes(build_dashboards):
    assert build_dashboards.out_of_step() == [], "run: python -m grafana.build_dashboards"


def test_the_generator_output_is_stable_and_sorted(build_dashboards):
    first, second = build_dashboards.rendered(), build_dashboards.rendered()
    assert first == second
    for text in first.values():
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_there_are_four_dashboards_with_unique_uids_and_titles():
    assert len(DASHBOARDS) == 4
    uids = [dashboard["uid"] for dashboard in DASHBOARDS.values()]
    titles = [dashboard["title"] for dashboard in DASHBOARDS.values()]
    assert len(set(uids)) == len(uids) and len(set(titles)) == len(titles)
    for name, dashboard in DASHBOARDS.items():
        assert name == f"{dashboard['uid']}.json"
        # Grafana 11.6's schema: the version the SDK release for the image's Grafana writes
        assert dashboard["schemaVersion"] == 41


def test_the_sdk_release_is_the_one_for_the_grafana_the_image_runs():
    """grafana-foundation-sdk publishes one release per Grafana version (``<build>!<grafana>``);
    the pinned one must describe the Grafana that loads the dashboards."""
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    (pin,) = [requirement for requirement in dev if requirement.startswith("grafana-foundation-sdk")]
    image = re.search(r"grafana/grafana:([\d.]+)", (ROOT / "grafana/Dockerfile").read_text())
    assert image and pin.endswith(f"!{image.group(1)}"), f"{pin} is not the release for Grafana {image.group(1)}"


def test_grafanas_home_dashboard_is_the_overview():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    home = compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert DASHBOARDS[Path(home).name]["uid"] == "stormlab-overview"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panel_ids_are_unique(name):
    ids = [panel["id"] for panel in panels(DASHBOARDS[name])]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panels_fit_the_grid_without_overlapping(name):
    taken = set()
    for panel in panels(DASHBOARDS[name]):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                 for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_datasource_is_the_provisioned_prometheus_or_grafanas_annotations(name):
    prometheus = provisioned_datasource()
    found = 0
    for path, node in walk(DASHBOARDS[name]):
        if "datasource" not in node:
            continue
        found += 1
        if path[:1] == ("annotations",):
            assert node["datasource"] == {"type": "grafana", "uid": "-- Grafana --"}, path
        else:
            assert node["datasource"] == prometheus, path
    assert found


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_variable_used_is_defined_or_built_in(name):
    dashboard = DASHBOARDS[name]
    defined = {variable["name"] for variable in variables(dashboard)}
    texts = [target.expr for target in panel_targets(dashboard)]
    texts += [panel["title"] for panel in panels(dashboard)]
    texts += [variable["definition"] for variable in variables(dashboard)]
    for text in texts:
        unknown = referenced_variables(text) - defined - GRAFANA_BUILTINS
        assert not unknown, f"{name}: {text!r} uses undefined {unknown}"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_variables_are_multi_select_label_values_over_a_documented_metric(name):
    labels = documented_labels()
    for variable in variables(DASHBOARDS[name]):
        match = re.fullmatch(r"label_values\(([a-z_]+)(\{[^}]*\})?, (\w+)\)", variable["query"]["query"])
        assert match, variable["query"]
        metric, _, label = match.groups()
        assert metric in SHARED_NAMES and metric in labels, metric
        assert label == variable["name"] and label in labels[metric], f"{metric} has no label {label}"
        assert variable["multi"] and variable["includeAll"] and variable["allValue"] == ".*"
        assert variable["definition"] == variable["query"]["query"]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_metric_a_panel_queries_exists(name):
    for target in panel_targets(DASHBOARDS[name]):
        names = metric_names_in(target.expr)
        constant = re.fullmatch(r"vector\([\d.]+\)", target.expr)  # a line drawn from the config
        assert names or constant, f"{target.panel_title}: no metric found in {target.expr!r}"
        unknown = [metric for metric in names if not is_known_metric(metric)]
        assert not unknown, f"{target.panel_title}: {unknown} in {target.expr!r}"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_label_matchers_name_labels_the_metric_has(name):
    labels = documented_labels()
    for target in panel_targets(DASHBOARDS[name]):
        for metric, matched in selectors_in(target.expr):
            base = base_metric(metric)
            own = labels.get(base, set()) | ({"le"} if metric.endswith("_bucket") else set())
            if base not in labels:  # Prometheus's own series: up, scrape_*
                own = set()
            assert matched <= own | TARGET_LABELS, f"{target.panel_title}: {metric} has no {matched - own}"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_rate_uses_grafanas_rate_interval(name):
    for target in panel_targets(DASHBOARDS[name]):
        for window in re.findall(r"\[([^\]]*)\]", target.expr):
            if ":" not in window:  # a subquery's range is its own
                assert window == "$__rate_interval", f"{target.panel_title}: [{window}]"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_panel_has_a_unit_and_says_what_it_answers(name):
    for panel in panels(DASHBOARDS[name]):
        if panel["type"] == "row":
            continue
        assert panel["type"] in {"timeseries", "stat", "state-timeline"}, panel["type"]
        assert panel["fieldConfig"]["defaults"].get("unit"), f"{panel['title']}: no unit"
        assert len(panel.get("description", "")) > 30, f"{panel['title']}: no description"
        assert panel["targets"], f"{panel['title']}: no query"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_configured_limits_are_drawn_as_dashed_lines(name):
    for panel in panels(DASHBOARDS[name]):
        dashed = {
            override["matcher"]["options"]
            for override in panel.get("fieldConfig", {}).get("overrides", [])
            if override["matcher"]["id"] == "byFrameRefID"
            and any(p["id"] == "custom.lineStyle" and p["value"]["fill"] == "dash" for p in override["properties"])
        }
        for target in panel.get("targets", []):
            names = metric_names_in(target["expr"])
            only_limits = names and all("_limit_" in n or "capacity" in n for n in names)
            if only_limits and panel["type"] == "timeseries":
                assert target["refId"] in dashed, f"{panel['title']}: {names} not dashed"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_the_runners_annotations_show_on_every_dashboard(name):
    annotations = DASHBOARDS[name]["annotations"]["list"]
    tag_sets = [a["target"]["tags"] for a in annotations if a.get("target", {}).get("type") == "tags"]
    assert sorted(tag_sets) == sorted([*ANNOTATION_TAGS, kind] for kind in timeline_event_kinds())
    assert all(a["enable"] for a in annotations)


def test_the_annotation_kinds_are_read_from_the_timeline():
    assert timeline_event_kinds() == {"start", "trigger", "trigger_end", "action", "level", "end"}


# The overview's main panels plot the runner's recorded series, with the same PromQL.
OVERVIEW_MAIN_QUERIES = [
    "demand", "offered_load", "goodput", "connection_setup_limit", "retry_amplification",
    "connection_attempts", "success_ratio:", "active_clients", "wasted_work",
    "operator_view_up", "ground_truth_up",
]


def test_the_overviews_main_panels_use_the_recorded_queries():
    exprs = {target.expr for target in panel_targets(DASHBOARDS["stormlab-overview.json"])}
    for name in OVERVIEW_MAIN_QUERIES:
        assert BY_NAME[name].expression("$__rate_interval") in exprs, name


def test_load_goodput_and_capacity_share_one_panel():
    wanted = {BY_NAME[name].expression("$__rate_interval")
              for name in ("offered_load", "goodput", "connection_setup_limit")}
    assert any(
        wanted <= {target["expr"] for target in panel.get("targets", [])}
        for panel in panels(DASHBOARDS["stormlab-overview.json"])
    )
