"""The steady-state hypothesis: each check's series, aggregated over its window, against its
threshold (docs/experiments.md, "Scenario files").

A check names a recorded series (``series: goodput``) or gives its own PromQL
(``query: ...``); the runner records that query beside the named series, with the same step
and range, as series ``check:<index>`` (``query_series``), so both kinds are read the same
way here and both end up in series.csv.
"""

from __future__ import annotations

from experiments.numbers import clean
from experiments.run_record import CheckResult
from experiments.series_math import Series, aggregate

OPERATORS = {
    "<": lambda value, threshold: value < threshold,
    "<=": lambda value, threshold: value <= threshold,
    ">": lambda value, threshold: value > threshold,
    ">=": lambda value, threshold: value >= threshold,
}


def series_of(index: int, check: dict) -> str:
    """The recorded series a check reads: the one it names, or its query's ``check:<index>``."""
    return check.get("series") or f"check:{index}"


def query_series(scenario) -> dict[str, str]:
    """The series the runner records for the checks that give a query: name -> PromQL."""
    return {series_of(index, check): check["query"]
            for index, check in enumerate(scenario.checks) if check.get("query")}


def evaluate_checks(scenario, series: dict[str, Series]) -> tuple[CheckResult, ...]:
    windows = scenario.windows()
    results = []
    for index, check in enumerate(scenario.checks):
        name = series_of(index, check)
        samples = series.get(name, [])
        value = aggregate(samples, windows[check["window"]], check["aggregate"])
        threshold = float(check["threshold"])
        absolute: float | None = threshold
        if check["relative_to_baseline"]:
            base = aggregate(samples, windows["before"])
            absolute = None if base is None else threshold * base
        passed = value is not None and absolute is not None and OPERATORS[check["operator"]](value, absolute)
        results.append(CheckResult(
            name=check["name"], window=check["window"], series=name, query=check.get("query"),
            aggregate=check["aggregate"], operator=check["operator"], threshold=threshold,
            relative_to_baseline=check["relative_to_baseline"], absolute_threshold=clean(absolute),
            value=clean(value), passed=bool(passed)))
    return tuple(results)
