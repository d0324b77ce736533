"""One run of one scenario, from a healthy stack to ``results/<time>-<scenario>/``.

1. confirm the stack is healthy (start it if absent), let the previous run's traffic drain;
2. apply the scenario's device, link, service and client settings through their APIs;
3. execute the timeline (progress bar with the current phase);
4. query Prometheus for every named series; judge; write run.json, series.csv, plots and
   the report.

Whatever happens in 2-3 (a failed call, Ctrl-C, SIGTERM), the clients are stopped, every
setting is put back, the series recorded so far are written with the run marked
``interrupted`` or ``failed``, and a stack the runner started is removed.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import math
import platform
import signal
import sys
import time
from pathlib import Path

from experiments import annotations, fine_timing
from experiments.experiment_state import ExperimentState, verdict_of
from experiments.lab import Lab
from experiments.narration import Narrator
from experiments.results_io import write_json_atomic, write_series_csv
from experiments.scenario import Scenario
from experiments.stack import Stack
from experiments.timeline import TimelineClock, plan_events
from experiments.verdict import evaluate_checks, judge
from stormlab_common.queries import QUERIES

RATE_WINDOW = "6s"  # three scrapes at 2 s: steady enough, still quick to show a collapse
DRAIN_TIMEOUT = 60


class Interrupted(Exception):
    """SIGTERM, turned into an exception so the same clean-up runs as for Ctrl-C."""


def run_scenario(
    scenario: Scenario, results_root: Path, stack: Stack, *, progress: bool = True, say=print,
    narrator: Narrator | None = None,
) -> Path:
    started = dt.datetime.now(dt.UTC)
    run_dir = results_root / f"{started:%Y%m%dT%H%M%SZ}-{scenario.name}"
    run_dir.mkdir(parents=True, exist_ok=False)
    record = {
        "format": 1,
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "file": scenario.file,
            "expect": {"verdict": scenario.expected_verdict, "reasoning": scenario.reasoning},
            "raw": scenario.raw,
        },
        "status": "running",
        "error": None,
        "seed": scenario.seed,
        "time_scale": scenario.time_scale,
        "started_at": _iso(started),
        "ended_at": None,
        "versions": _versions(stack),
        "timeline": [],
        "windows": {k: list(v) for k, v in scenario.windows().items()},
        "summary": None,
        "verdict": None,
        "hypothesis": None,
        "notes": [],
        "artifacts": {"series": "series.csv", "report_md": "report.md", "report_html": "report.html"},
    }
    write_json_atomic(run_dir / "run.json", record)
    previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupted)
    lab = Lab(stack)
    state = ExperimentState.for_run(scenario, lab, record["notes"], RATE_WINDOW)  # for the dashboards
    clock: TimelineClock | None = None
    series: dict = {}
    bar = _progress_bar(scenario, progress)
    try:
        _drain(lab, say)
        _apply_settings(scenario, lab)
        events = plan_events(scenario, lab)
        if narrator is not None:  # the live demo's voice (experiments/narration.py)
            narrator.wrap(events)

        def tick(elapsed: float, phase: str) -> None:
            state.tick(elapsed, phase)
            if narrator is not None:
                narrator.tick(elapsed, phase)
            if bar is not None:
                bar.set_description_str(f"{scenario.name}: {phase}")
                bar.n = min(round(elapsed, 1), bar.total)
                bar.refresh()

        clock = TimelineClock(events, tick)
        clock.run()
        record["status"] = "complete"
    except (KeyboardInterrupt, Interrupted):
        record["status"], record["error"] = "interrupted", "stopped by the user (Ctrl-C or SIGTERM)"
    except Exception as exc:
        record["status"], record["error"] = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        if bar is not None:
            bar.close()
        signal.signal(signal.SIGTERM, _raise_interrupted)  # clean-up itself may be interrupted once more
        try:
            record["notes"] += [f"could not restore: {f}" for f in lab.restore()]
            if clock is not None and clock.started_wall is not None:
                record["timeline"] = clock.executed
                series = _collect(lab, clock.started_wall, clock.elapsed(), record)
                if scenario.trigger is not None:
                    series.update(_fine_timing(scenario, lab, clock.started_wall, record))
            record["ended_at"] = _iso(dt.datetime.now(dt.UTC))
            if record["status"] == "complete":
                record["summary"], record["verdict"] = judge(scenario, series)
                record["hypothesis"] = evaluate_checks(scenario, series)
            write_series_csv(run_dir / "series.csv", series)
            record["notes"].append(annotations.post(lab, record, clock.started_wall if clock else None))
            state.finish(verdict_of(record))
            write_json_atomic(run_dir / "run.json", record)
            _write_report(run_dir, record)
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
    if record["status"] == "interrupted":
        raise KeyboardInterrupt
    return run_dir


def _apply_settings(scenario: Scenario, lab: Lab) -> None:
    for device, patch in scenario.devices.items():
        lab.patch_device(device, patch)
    for link, patch in scenario.links.items():
        lab.patch_link(link, patch)
    for service, patch in scenario.services.items():
        lab.patch_service(service, patch)
    lab.configure_clients(scenario.client_config, scenario.seed)


def _fine_timing(scenario: Scenario, lab: Lab, started_wall: float, record: dict) -> dict:
    """When attempts were sent and connections arrived, per 100 ms, from a second before the
    trigger to 5 s after its end (experiments/fine_timing.py). Each record missing is a note,
    not a failed run."""
    start, end = scenario.windows()["during"]
    since, until = started_wall + start - 1, started_wall + end + 5
    series: dict = {}
    reads = (("clients' send times", lab.client_sends, fine_timing.attempts_series),
             ("device's arrival times", lab.device_arrivals, fine_timing.arrivals_series))
    for what, read, to_series in reads:
        try:
            series.update(to_series(read(since, until), started_wall))
        except Exception as exc:
            record["notes"].append(f"{what} not recorded: {type(exc).__name__}: {exc}")
    return series


def _drain(lab: Lab, say) -> None:
    """No clients, no attempts waiting at the device: the run starts from quiet."""
    lab.stop_clients()
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while True:
        waiting = lab.query("sum(stormlab_proxy_waiting_connections)") or 0
        in_flight = lab.query("sum(stormlab_client_in_flight_requests)") or 0
        if lab.clients_stopped() and waiting == 0 and in_flight == 0:
            return
        if time.monotonic() > deadline:
            say(
                f"warning: the stack did not drain in {DRAIN_TIMEOUT} s ({waiting:.0f} attempts waiting "
                f"at the device, {in_flight:.0f} requests in flight); starting anyway"
            )
            return
        time.sleep(1)


def _collect(lab: Lab, started_wall: float, elapsed: float, record: dict) -> dict:
    """Every named series over the run, in seconds since its start; a failed query is noted and
    skipped, never fatal: a partial run keeps what could be read."""
    time.sleep(3)  # one more scrape, so the run's last seconds are in Prometheus
    end = started_wall + elapsed + 2
    series: dict[str, list[tuple[float, float]]] = {}
    for query in QUERIES:
        try:
            result = lab.query_range(query.expression(RATE_WINDOW), started_wall, end)
        except Exception as exc:
            record["notes"].append(f"series {query.name} not recorded: {exc}")
            continue
        for item in result:
            name = query.name + item["metric"].get(query.by, "") if query.by else query.name
            series[name] = [(round(float(t) - started_wall, 3), _number(v)) for t, v in item["values"]]
    if "connection_setup_limit" in series:  # once every attempt needs a connection, this is capacity
        series["capacity"] = list(series["connection_setup_limit"])
    return series


def _write_report(run_dir: Path, record: dict) -> None:
    try:
        from experiments.report import write_report

        write_report(run_dir)
    except Exception as exc:  # the data is safe in run.json and series.csv; say what is missing
        record["notes"].append(f"report not written: {type(exc).__name__}: {exc}")
        write_json_atomic(run_dir / "run.json", record)


def _progress_bar(scenario: Scenario, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(
        total=round(scenario.end, 1),
        unit="s",
        desc=scenario.name,
        file=sys.stderr,
        bar_format="{desc:<42} {bar} {n:.0f}/{total:.0f} s",
    )


def _versions(stack: Stack) -> dict:
    try:
        images = stack.image_ids()
    except Exception as exc:
        images = {"error": str(exc)}
    try:
        version = importlib.metadata.version("stormlab")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return {"stormlab": version, "python": platform.python_version(), "images": images}


def _number(value: str) -> float:
    number = float(value)
    return number if math.isfinite(number) else float("nan")


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _raise_interrupted(signum, frame):
    raise Interrupted()
