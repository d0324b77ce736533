"""The few numbers a plot needs to explain itself, from the run's record and series.

A plot shows where "down" begins, the client's timeout and deadline, the device's setup
limit and what an attempt costs it, so that a reader needs no other page to read it. A fact
the run cannot give (no record, a series not recorded, a setting that does not parse) is
simply absent, and whatever would show it is left out.
"""

from __future__ import annotations

from experiments.run_record import RunRecord
from experiments.series_math import aggregate
from stormlab_common.config import ConfigError
from stormlab_common.contracts.loadgen import Profile
from stormlab_common.model import parse

Facts = dict[str, float]
DEVICE = "border"  # the device the recorded limits and bandwidth are read from (stormlab_common/queries.py)
DOWN_FRACTION = 0.5  # the verdict's default (stormlab_common/scenario/file.py)


def run_facts(record: RunRecord | None, series: dict[str, list[tuple[float, float]]]) -> Facts:
    facts: Facts = {}
    limit = _highest(series.get("connection_setup_limit") or series.get("capacity") or [])
    if limit:
        facts["setup_limit"] = limit
    table = _highest(series.get("active_connections_limit", []))
    if table:
        facts["table_limit"] = table
    if record is None:
        return facts
    raw = record.scenario.raw
    facts.update(_verdict_line(record, raw))
    before = record.windows.get("before")
    demand = aggregate(series.get("demand", []), tuple(before)) if before else None
    if limit and demand:
        facts["capacity_over_demand"] = limit / demand  # the amplification the device can carry
    facts.update(_client_times(raw))
    facts.update(_device_costs(raw))
    return facts


def _highest(samples) -> float | None:
    values = [v for _, v in samples if isinstance(v, int | float) and v == v]
    return max(values) if values else None


def _verdict_line(record: RunRecord, raw: dict) -> Facts:
    """Goodput below this line counts as down (experiments/verdict.py)."""
    baseline = (record.figures or {}).get("baseline_goodput")
    fraction = (raw.get("verdict") or {}).get("down_fraction", DOWN_FRACTION)
    if baseline is None or baseline.value is None or not isinstance(fraction, int | float):
        return {}
    return {"down_percent": 100.0 * fraction, "down_line": fraction * baseline.value}


def _client_times(raw: dict) -> Facts:
    """The longest attempt timeout and deadline among the scenario's client profiles, which
    replace the load generator's own (with the contract's defaults for what they leave out);
    nothing when it names none: the load generator's config file then decides."""
    config = (raw.get("clients") or {}).get("config") or {}
    profiles = config.get("clients") if isinstance(config.get("clients"), dict) else {}
    parsed = []
    for profile in profiles.values():
        try:
            parsed.append(parse(Profile, {"policy": {"name": "none"}, **profile}))
        except (ConfigError, TypeError):
            continue  # the clients' own check says what is wrong with it
    if not parsed:
        return {}
    return {"attempt_timeout": max(p.attempt_timeout_seconds for p in parsed),
            "deadline": max(p.deadline_seconds for p in parsed)}


def _device_costs(raw: dict) -> Facts:
    """How long an attempt may wait for the device, and the setup work each one costs it, as
    the scenario set them (what it leaves out, the proxy's own config decides: unknown here)."""
    device = ((raw.get("topology") or {}).get("devices") or {}).get(DEVICE) or {}
    connections = device.get("connections") if isinstance(device, dict) else None
    if not isinstance(connections, dict):
        return {}
    wanted = {"backlog_timeout": "backlog_timeout_seconds", "setup_cost_bytes": "setup_cost_bytes"}
    return {fact: float(connections[key]) for fact, key in wanted.items()
            if isinstance(connections.get(key), int | float) and not isinstance(connections.get(key), bool)}
