"""A synthetic run for the report tests: a collapse, as the runner would record it.

Goodput 60 req/s until a surge at 30 s, then 0 for good; offered load 60 -> 300 attempts/s
against a device that handles 100 req/s. No containers: just run.json and series.csv.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

from experiments.results_io import write_series_csv

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

RUN = {
    "format": 1,
    "scenario": {
        "name": "retry-storm",
        "description": "Naive clients, a 15 s surge of connection activity, no remediation.",
        "file": "experiments/retry-storm.yaml",
        "expect": {"verdict": "metastable",
                   "reasoning": "Unbounded immediate retries keep offered load above capacity after the surge."},
        "raw": {"name": "retry-storm"},
    },
    "status": "complete",
    "error": None,
    "seed": 7,
    "time_scale": 1.0,
    "started_at": "2026-11-23T10:00:00Z",
    "ended_at": "2026-11-23T10:02:00Z",
    "versions": {"stormlab": "0.1.0", "python": "3.11.2", "images": {"proxy": "sha256:abc123"}},
    "timeline": [
        {"name": "trigger", "kind": "trigger", "planned_seconds": 30.0, "executed_seconds": 30.02,
         "action": "surge", "detail": "clients x4 for 15 s", "ok": True, "error": None},
        {"name": "move-dns", "kind": "operator", "planned_seconds": 60.0, "executed_seconds": 60.5,
         "action": "move_dns", "detail": "dns off the congested path", "ok": True, "error": None},
    ],
    "windows": {"before": [10.0, 30.0], "during": [30.0, 45.0], "after": [55.0, 120.0]},
    "summary": {
        "baseline_goodput": {"value": 59.8, "unit": "req/s", "meaning": "goodput before the trigger"},
        "goodput_after": {"value": 2.1, "unit": "req/s", "meaning": "goodput after the trigger ended"},
        "retry_amplification": {"value": 5.0, "unit": "x", "meaning": "attempts per logical request"},
        "time_to_recover": {"value": None, "unit": "s", "meaning": "never recovered within the run"},
        "peak_connection_attempts": {"value": 450.0, "unit": "/s", "meaning": "peak new connections"},
        "connection_setup_limit": {"value": 100.0, "unit": "/s", "meaning": "the device's setup limit"},
    },
    "verdict": {"verdict": "metastable", "expected": "metastable", "matches": True,
                "reason": "goodput stayed below 30% of baseline (2.1 of 59.8 req/s) for all 65 s after the trigger ended"},
    "hypothesis": [
        {"name": "dns recovers after the move", "window": "after", "query": "sum(rate(x_total[30s]))",
         "aggregate": "mean", "value": 12.3, "operator": ">=", "threshold": 10.0, "passed": True},
    ],
    "artifacts": {"series": "series.csv"},
}


def collapse_series(seconds: int = 120) -> dict[str, list[tuple[float, float]]]:
    times = [float(t) for t in range(seconds)]

    def shape(before: float, after: float) -> list[tuple[float, float]]:
        return [(t, before if t < 30 else after) for t in times]

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
        # the burst probe's bins: 250 ms apart, from the trigger for 20 s, a wave every second
        "connection_arrivals_fine": [(30 + 0.25 * i, 900.0 if i % 4 == 0 else 200.0) for i in range(80)],
    }


def make_run(run_dir: Path, run: dict | None = None, series: dict | None = None) -> Path:
    """Writes run.json and series.csv into run_dir; returns run_dir."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps(copy.deepcopy(RUN) if run is None else run))
    write_series_csv(run_dir / "series.csv", collapse_series() if series is None else series)
    return run_dir


def partial_run() -> dict:
    """An interrupted run: no verdict, summary or hypothesis."""
    run = copy.deepcopy(RUN)
    run.update(status="interrupted", error="interrupted by the operator (SIGINT) at 42 s",
               verdict=None, summary=None, hypothesis=None)
    return run
