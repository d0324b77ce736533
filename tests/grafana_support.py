"""Reading the provisioned dashboards as a test needs them: every panel's PromQL, ready to
send to Prometheus's /api/v1/query_range with Grafana's variables filled in.

Used by the dashboard unit tests and by the integration test that checks every panel
returns data after a real scenario. No Grafana needed: Grafana only substitutes variables
before it sends a query, and ``substitute`` does the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS_DIR = ROOT / "grafana/dashboards"

# $name, ${name}, ${name:format}, [[name]] (Grafana's variable syntaxes)
VARIABLE_REFERENCE = re.compile(r"\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class PanelTarget:
    dashboard_title: str
    panel_title: str
    ref_id: str
    expr: str


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARDS_DIR.glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def panels(dashboard: dict) -> Iterator[dict]:
    """Every panel, rows included, and the panels a collapsed row keeps inside it."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def panel_targets(dashboard: dict) -> list[PanelTarget]:
    """Every query a panel sends, hidden ones left out (Grafana does not run them)."""
    return [
        PanelTarget(dashboard["title"], panel["title"], target["refId"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
        if not target.get("hide") and target.get("expr")
    ]


def variables(dashboard: dict) -> list[dict]:
    return dashboard.get("templating", {}).get("list", [])


def all_selected(dashboard: dict) -> dict[str, str]:
    """Each template variable as when "All" is chosen: its regex (``.*``)."""
    return {variable["name"]: variable.get("allValue") or ".*" for variable in variables(dashboard)}


def referenced_variables(text: str) -> set[str]:
    """The names of the variables a query (or a title) refers to, built-ins included."""
    return {next(name for name in match.groups() if name) for match in VARIABLE_REFERENCE.finditer(text)}


def builtins(rate_interval: str, interval: str, range_: str) -> dict[str, str]:
    """Grafana's global variables a PromQL query may use, for a given window and range."""
    seconds = duration_seconds(range_)
    return {
        "__rate_interval": rate_interval,
        "__interval": interval,
        "__interval_ms": str(round(duration_seconds(interval) * 1000)),
        "__range": range_,
        "__range_s": str(round(seconds)),
        "__range_ms": str(round(seconds * 1000)),
    }


def substitute(
    expr: str, variables: dict[str, str], rate_interval: str = "6s", interval: str = "2s", range_: str = "5m"
) -> str:
    """The query Grafana would send: template variables replaced by the given values (a regex
    such as ``.*`` for "All", since queries match them with ``=~``) and Grafana's built-ins by
    the given durations. A variable with no value raises KeyError, naming it."""
    values = {**builtins(rate_interval, interval, range_), **variables}

    def value(match: re.Match) -> str:
        name = next(name for name in match.groups() if name)
        if name.isdigit():  # "$1" in a label_replace() replacement is PromQL's, not Grafana's
            return match.group(0)
        if name not in values:
            raise KeyError(f"no value for ${name} in {expr!r}")
        return values[name]

    return VARIABLE_REFERENCE.sub(value, expr)


def duration_seconds(duration: str) -> float:
    """A Prometheus duration such as ``6s``, ``5m`` or ``1h30m``, in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", duration)
    if not parts or "".join(number + unit for number, unit in parts) != duration:
        raise ValueError(f"not a duration: {duration!r}")
    return sum(float(number) * units[unit] for number, unit in parts)
