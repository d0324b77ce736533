"""A run as the runner records it, for the report, summary, plots and demo tests: a collapse.

Goodput 60 req/s until a surge at 30 s, then 0 for good; offered load 60 -> 300 attempts/s
against a device that handles 100 req/s; an operator action at 60 s that changes nothing.
No containers, but no hand-written record either: the scenario is parsed as the runner
parses it, the timeline planned by the runner's planner, and the record built, judged and
checked by the functions the runner uses (experiments/outcome.py).
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path

from experiments.outcome import analysed, executed_events, started_record
from experiments.results_io import write_series_csv
from experiments.run_record import RunRecord, Versions, save_record
from experiments.timeline import plan_events
from stormlab_common.scenario import parse_scenario

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STARTED_WALL = 1_795_000_000.0
QUERY = "sum(rate(x_total[30s]))"

SCENARIO = {
    "name": "retry-storm",
    "description": "Naive clients, a 15 s surge of connection activity, no remediation.",
    "expect": {"verdict": "metastable",
               "reasoning": "Unbounded immediate retries keep offered load above capacity after the surge."},
    "seed": 7,
    "clients": {"count": 50},
    "timeline": {"warmup": 10, "trigger": {"at": 30, "duration": 15, "surge_factor": 4},
                 "actions": [{"at": 60, "name": "move-dns", "do": "move_link", "link": "dns", "device": "dns-path"}],
                 "end": 120},
    "hypothesis": [
        {"name": "goodput after the trigger stays below 30% of baseline", "series": "goodput", "window": "after",
         "aggregate": "max", "operator": "<", "threshold": 0.3, "relative_to_baseline": True},
        {"name": "dns recovers after the move", "query": QUERY, "window": "action:move-dns",
         "operator": ">=", "threshold": 10},
    ],
}


class _QuietLab:
    """What the planner is handed: its events are planned here, never run."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def collapse_series(seconds: int = 120) -> dict[str, list[tuple[float, float]]]:
    times = [float(t) for t in range(seconds)]

    def shape(before: float, after: float) -> list[tuple[float, float]]:
        return [(t, before if t <= 30 else after) for t in times]  # the before window ends at 30 s

    return {
        "goodput": shape(60.0, 0.0),
        "offered_load": shape(60.0, 300.0),
        "demand": shape(60.0, 60.0),
        "capacity": shape(100.0, 100.0),
        "goodput:dns": shape(20.0, 0.0),
        "goodput:kv": shape(40.0, 0.0),
        "latency_p50": shape(0.01, 1.0),
        "latency_p99": [(t, math.nan if t == 50 else (0.05 if t < 30 else 1.0)) for t in times],
        "retry_amplification": shape(1.0, 5.0),
        "connection_attempts": shape(60.0, 450.0),
        "connections_turned_away": shape(0.0, 350.0),
        "connection_setup_limit": shape(100.0, 100.0),
        "active_connections": shape(30.0, 500.0),
        "active_connections_limit": shape(500.0, 500.0),
        "operator_view_up": shape(1.0, 0.0),
        "ground_truth_up": shape(1.0, 1.0),
        "device_bytes_downstream": shape(1e6, 3e6),
        "device_bandwidth_limit_downstream": shape(1.25e7, 1.25e7),
        "success_ratio:naive": shape(1.0, 0.0),
        "check:1": [(t, 12.3 if t >= 60 else 0.0) for t in times],  # the query check's series
        # the device's own record: 100 ms slots from the trigger for 8 s, a wave every second
        "connection_arrivals_fine": [(round(30 + 0.1 * i, 1), 900.0 if i % 10 == 0 else 200.0) for i in range(80)],
    }


def scenario(**changes):
    return parse_scenario({**copy.deepcopy(SCENARIO), **changes}, file="experiments/retry-storm.yaml")


def started(**changes) -> tuple[RunRecord, object]:
    """The record as the runner writes it once the timeline has run, before the analysis."""
    parsed = scenario(**changes)
    versions = Versions(stormlab="0.1.0", python="3.11.2", images={"proxy": "sha256:abc123"})
    record = started_record(parsed, "2026-11-23T10:00:00Z", versions)
    executed = [{"name": event.name, "kind": event.kind, "planned_seconds": event.at,
                 "executed_seconds": round(event.at + 0.02, 3), "wall_time": STARTED_WALL + event.at + 0.02,
                 "action": event.action, "detail": event.detail, "ok": True, "error": None}
                for event in plan_events(parsed, _QuietLab())]
    return replace(record, timeline=executed_events(executed), ended_at="2026-11-23T10:02:00Z"), parsed


def complete_run(series: dict | None = None, **changes) -> RunRecord:
    record, parsed = started(**changes)
    return analysed(replace(record, status="complete"), parsed, collapse_series() if series is None else series)


def partial_run() -> RunRecord:
    """An interrupted run: no figures, verdict or checks."""
    record, _ = started()
    return replace(record, status="interrupted", error="interrupted by the operator (SIGINT) at 42 s")


RUN = complete_run()


def make_run(run_dir: Path, run: RunRecord | None = None, series: dict | None = None) -> Path:
    """Writes run.json and series.csv into run_dir as the runner does; returns run_dir."""
    run_dir.mkdir(parents=True, exist_ok=True)
    save_record(run_dir, RUN if run is None else run)
    write_series_csv(run_dir / "series.csv", collapse_series() if series is None else series)
    return run_dir
