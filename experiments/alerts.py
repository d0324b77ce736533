"""The alert rules shipped with the stack (prometheus/rules/, docs/alerts.md) and when each
fired during a run: when its page would have gone out.

While an alert is pending or firing, Prometheus keeps the series ``ALERTS{alertname,
alertstate="pending"|"firing", <its labels>}`` at 1; otherwise it writes nothing (a stale
marker when the alert resolves). After a run the runner reads those series over the range
and at the step of every recorded series, asks Prometheus's rules API which alerts it has
loaded, and says for each alerting rule the rules files ship:

- ``fired``: it started firing during the run; its first start, in seconds since the run
  began, is the page. Firing at the very first step is left over from before the run
  (``already_firing``: paged before it), unless it cleared and fired again.
- ``did_not_fire``: never firing, and Prometheus has the rule: the rules API lists it, or
  (when that API does not answer) some shipped alert has ALERTS series, which only loaded
  rules make.
- ``rules_not_loaded``: never firing, and the rule is not known to be loaded. A quiet alert
  and a missing one leave the same nothing behind; "did not fire" would claim a silence
  nobody was listening for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from experiments.recording import STEP_SECONDS, series_range
from experiments.run_record import AlertSeen, AlertsSeen

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "prometheus" / "rules"
RULES_PATTERN = "*.rules.yml"  # as prometheus/prometheus.yml loads them (rule_files)
ALERTS_QUERY = "ALERTS"
FIRING, PENDING = "firing", "pending"


@dataclass(frozen=True)
class Rule:
    """An alerting rule as a rules file ships it."""

    name: str
    severity: str
    for_duration: str


@dataclass(frozen=True)
class Times:
    """One alert's states during a run, in seconds since its start."""

    first_firing: float | None = None  # its first start of firing after the first step
    first_pending: float | None = None
    firing_at_start: bool = False


def rule_files(folder: Path = RULES_DIR) -> list[Path]:
    return sorted(folder.glob(RULES_PATTERN))


def shipped_rules(files: list[Path]) -> list[Rule]:
    """Every alerting rule of the files, in their order (a recording rule has no ``alert``)."""
    rules = []
    for path in files:
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups") or []:
            for rule in group.get("rules") or []:
                if "alert" in rule:
                    severity = (rule.get("labels") or {}).get("severity", "")
                    rules.append(Rule(str(rule["alert"]), str(severity), str(rule.get("for", "0s"))))
    return rules


def alert_times(result: list[dict], started_wall: float, step: float = STEP_SECONDS) -> dict[str, Times]:
    """A query_range answer for ALERTS as each alert's times, by alert name. The series of one
    alert (one per label set, e.g. per device) are taken together: it fires when any does."""
    seen: dict[tuple[str, str], set[float]] = {}
    for item in result:
        metric = item.get("metric") or {}
        name, state = metric.get("alertname"), metric.get("alertstate")
        if name and state in (FIRING, PENDING):
            seen.setdefault((name, state), set()).update(
                round(float(t) - started_wall, 3) for t, _ in item.get("values") or [])
    times = {}
    for name in sorted({name for name, _ in seen}):
        firing = sorted(seen.get((name, FIRING), ()))
        pending = sorted(seen.get((name, PENDING), ()))
        at_start = bool(firing) and firing[0] <= step / 2
        # a start of firing: its first sample, or one after a gap (it resolved in between)
        starts = [t for i, t in enumerate(firing) if (i == 0 and not at_start) or
                  (i > 0 and t - firing[i - 1] > 1.5 * step)]
        times[name] = Times(starts[0] if starts else None, pending[0] if pending else None, at_start)
    return times


def loaded_alerts(rules_data: dict) -> set[str]:
    """The alerting rules' names in Prometheus's /api/v1/rules answer (its ``data``)."""
    return {rule.get("name") for group in rules_data.get("groups") or [] for rule in group.get("rules") or []
            if rule.get("type") == "alerting"}


def alerts_seen(rules: list[Rule], times: dict[str, Times], loaded: set[str] | None,
                files: tuple[str, ...]) -> AlertsSeen:
    """What each shipped alert did; ``loaded``: the alerts Prometheus lists (None: its rules API
    did not answer)."""
    if loaded is not None:
        confirmed_by = "rules_api"
    elif any(rule.name in times for rule in rules):
        confirmed_by, loaded = "alerts_series", {rule.name for rule in rules}
    else:
        confirmed_by, loaded = "unconfirmed", set()
    seen = []
    for rule in rules:
        got = times.get(rule.name, Times())
        if got.first_firing is not None:
            state = "fired"
        elif got.firing_at_start:
            state = "already_firing"
        elif rule.name in loaded or rule.name in times:  # pending proves it loaded
            state = "did_not_fire"
        else:
            state = "rules_not_loaded"
        seen.append(AlertSeen(rule.name, rule.severity, rule.for_duration, state, got.first_firing,
                              got.first_pending, got.firing_at_start))
    return AlertsSeen(files, confirmed_by, tuple(seen))


def recorded(prometheus, started_wall: float, elapsed: float, notes: list[str]) -> AlertsSeen | None:
    """The run's alerts, read from ``prometheus`` (experiments/clients/prometheus.py) over the
    range of every recorded series. None, with a note saying why, when they cannot be told."""
    try:
        files = rule_files()
        rules = shipped_rules(files)
    except Exception as exc:  # never a lost run: the rest of the record is still written
        notes.append(f"alerts not recorded: the rules files ({RULES_DIR}) do not read: {exc}")
        return None
    try:
        result = prometheus.query_range(ALERTS_QUERY, *series_range(started_wall, elapsed), STEP_SECONDS)
        times = alert_times(result, started_wall)
    except Exception as exc:
        notes.append(f"alerts not recorded: {exc}")
        return None
    try:
        loaded = loaded_alerts(prometheus.rules())
    except Exception as exc:
        loaded = None
        notes.append(f"alert rules not confirmed loaded (Prometheus's rules API): {exc}")
    names = tuple(str(path.relative_to(ROOT)) for path in files)
    return alerts_seen(rules, times, loaded, names)
