"""run.json format 1 (stormlab before the typed record) converted to format 2.

Format 1 held the same facts under other names, except for the hypothesis checks: each kept
only the absolute threshold it was compared with, in a field named ``threshold``, and a
``query`` field that held either the check's PromQL or the name of its series. Both are
recovered from the scenario as validated (``scenario.raw.hypothesis``, which format 1 kept
whole and in the same order): the threshold as written, whether it was relative to the
baseline, and whether the check named a series or gave a query.

This is the only place that reads run.json as loose data; what it produces is validated by
the record's own schema (experiments/run_record.py), so a damaged file still fails with
every problem named.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from experiments.results_io import RunFileError

RENAMED = {"summary": "figures", "hypothesis": "checks"}
NOTE = ("run.json converted from format 1 (experiments/run_format1.py): the checks' written "
        "thresholds come from the scenario's hypothesis")


def from_format1(data: Mapping[str, Any], path: Path | str = "run.json") -> dict[str, Any]:
    """Format-2 data (not yet validated) from a format-1 run.json's. Raises RunFileError when
    a check cannot be matched with the scenario's hypothesis."""
    converted = {RENAMED.get(key, key): value for key, value in data.items()}
    converted["format"] = 2
    scenario = converted.get("scenario")
    raw = scenario.get("raw") if isinstance(scenario, Mapping) else None
    raw = raw if isinstance(raw, Mapping) else {}
    if isinstance(scenario, Mapping):
        compare = [_comparison(entry) for entry in raw.get("compare") or []]
        converted["scenario"] = {**scenario, "compare": compare}
    if isinstance(converted.get("checks"), list):
        written = raw.get("hypothesis") or []
        if len(written) != len(converted["checks"]):
            raise RunFileError(
                f"{path} (format 1) holds {len(converted['checks'])} check results but its scenario.raw "
                f"has {len(written)} hypothesis checks, so the thresholds as written cannot be told; "
                "re-run the scenario to get a format-2 record")
        for index, (result, spec) in enumerate(zip(converted["checks"], written, strict=True)):
            if _name(result) != _name(spec):
                raise RunFileError(
                    f"{path} (format 1): check {index} is {_name(result)!r} but the scenario's hypothesis "
                    f"{index} is {_name(spec)!r}; re-run the scenario to get a format-2 record")
        pairs = enumerate(zip(converted["checks"], written, strict=True))
        converted["checks"] = [_check(index, result, spec) for index, (result, spec) in pairs]
    if isinstance(converted.get("notes"), list):
        converted["notes"] = [*converted["notes"], NOTE]
    return converted


def _name(entry: Any) -> Any:
    return entry.get("name") if isinstance(entry, Mapping) else None


def _comparison(entry: Any) -> Any:
    if not isinstance(entry, Mapping):
        return entry  # the schema says what is wrong with it
    return {("with_scenario" if key == "with" else key): value for key, value in entry.items()}


def _check(index: int, result: Any, spec: Any) -> Any:
    if not (isinstance(result, Mapping) and isinstance(spec, Mapping)):
        return result
    converted = {key: value for key, value in result.items() if key not in ("query", "threshold")}
    converted.update(
        series=spec.get("series") or f"check:{index}",
        query=spec.get("query"),
        threshold=spec.get("threshold"),
        relative_to_baseline=spec.get("relative_to_baseline", False),
        absolute_threshold=result.get("threshold"),
    )
    return converted
