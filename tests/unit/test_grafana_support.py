"""The helpers the dashboards' tests and the live check rely on: the PromQL reader
(tests/promql_support.py) and the panel-query tools (tests/grafana_support.py)."""

from __future__ import annotations

import pytest

from tests.grafana_support import (
    all_selected,
    dashboard_files,
    duration_seconds,
    load,
    panel_targets,
    substitute,
)
from tests.promql_support import is_known_metric, metric_names_in

DASHBOARDS = {path.name: load(path) for path in dashboard_files()}


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (le) (rate(stormlab_a_bucket{x="up"}[$__rate_interval]))', ["stormlab_a_bucket"]),
        ("histogram_quantile(0.99, sum by (le, device) (rate(m_bucket[5m])))", ["m_bucket"]),
        ('a / on (device) max by (device) (b{device=~"$device"}) or vector(1e6)', ["a", "b"]),
        ("time() - max_over_time(timestamp(up{job=\"x\"} == 1)[5m:])", ["up"]),
        ("sum(rate(operator_view:stormlab_x_total[1m])) > bool 0", ["operator_view:stormlab_x_total"]),
    ],
)
def test_the_metric_name_parser(expr, names):
    assert metric_names_in(expr) == names


def test_unknown_metrics_are_caught():
    assert not is_known_metric("stormlab_proxy_bytez_total")
    assert not is_known_metric("operator_view:up")
    assert not is_known_metric("node_cpu_seconds_total")
    assert is_known_metric("operator_view:stormlab_service_request_duration_seconds_bucket")
    assert is_known_metric("scrape_duration_seconds")


def test_substitute_replaces_variables_and_grafanas_built_ins():
    expr = 'rate(x{a=~"$a", b=~"${b}", c=~"${c:regex}", d=~"[[d]]"}[$__rate_interval]) / $__interval_ms'
    values = {"a": ".*", "b": "api|dns", "c": "kv", "d": "x"}
    assert substitute(expr, values) == 'rate(x{a=~".*", b=~"api|dns", c=~"kv", d=~"x"}[6s]) / 2000'
    assert substitute("$__range $__range_s $__interval", {}, range_="1h", interval="4s") == "1h 3600 4s"


def test_substitute_leaves_promql_group_references_and_names_a_missing_variable():
    assert substitute('label_replace(up, "a", "$1", "b", "(.*)")', {}) == 'label_replace(up, "a", "$1", "b", "(.*)")'
    with pytest.raises(KeyError, match=r"\$policy"):
        substitute('x{policy=~"$policy"}', {})


def test_panel_targets_include_collapsed_rows_and_skip_hidden_queries():
    dashboard = {
        "title": "d",
        "panels": [
            {"title": "p", "targets": [{"refId": "A", "expr": "up"}, {"refId": "B", "expr": "x", "hide": True}]},
            {"title": "row", "type": "row", "panels": [{"title": "inner", "targets": [{"refId": "A", "expr": "y"}]}]},
        ],
    }
    assert [(t.panel_title, t.ref_id, t.expr) for t in panel_targets(dashboard)] == [
        ("p", "A", "up"),
        ("inner", "A", "y"),
    ]


def test_every_panel_query_substitutes_to_plain_promql():
    for dashboard in DASHBOARDS.values():
        for target in panel_targets(dashboard):
            expr = substitute(target.expr, all_selected(dashboard))
            assert "$" not in expr.replace('"$1"', ""), expr


def test_durations():
    assert duration_seconds("6s") == 6 and duration_seconds("1h30m") == 5400
    with pytest.raises(ValueError):
        duration_seconds("5 minutes")
