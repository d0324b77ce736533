"""Reading PromQL the way the dashboards' tests need: which metrics an expression selects,
with which label matchers, and whether each is a metric a component exports."""

from __future__ import annotations

import re

from stormlab_common import metric_names

SHARED_NAMES = {v for k, v in vars(metric_names).items() if k.isupper() and str(v).startswith("stormlab_")}
OPERATOR_PREFIX = "operator_view:"  # the operators' copy of a series (prometheus/prometheus.yml)
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                "and", "or", "unless", "inf", "nan", "atan2"}


def metric_names_in(expr: str) -> list[str]:
    """The metric names a PromQL expression selects: what is left once strings, label
    matchers, ranges, grouping clauses, function calls, keywords and numbers are set aside."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = []
    for match in re.finditer(r"(?<![\w.:$])[a-zA-Z_:][\w:]*", text):
        if text[match.end():].lstrip().startswith("(") or match.group() in PROMQL_WORDS:
            continue  # a function, an aggregation, or a keyword
        names.append(match.group())
    return names


def selectors_in(expr: str) -> list[tuple[str, set[str]]]:
    """Each ``metric{matchers}`` in an expression: the metric and the labels it matches on."""
    return [
        (name, set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers)))
        for name, matchers in re.findall(r"([a-zA-Z_:][\w:]*)\{([^}]*)\}", expr)
    ]


def base_metric(name: str) -> str:
    """The shared name a series belongs to: operator_view:stormlab_x_bucket -> stormlab_x."""
    name = name.removeprefix(OPERATOR_PREFIX)
    return name if name in SHARED_NAMES else re.sub(r"_(bucket|sum|count)$", "", name)


def is_known_metric(name: str) -> bool:
    if name.startswith(OPERATOR_PREFIX):
        return base_metric(name) in SHARED_NAMES  # the operators' copy of a component's metric
    return name == "up" or name.startswith("scrape_") or base_metric(name) in SHARED_NAMES
