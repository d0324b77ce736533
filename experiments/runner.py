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
import os
import platform
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

from experiments import alerts, annotations, fine_timing
from experiments.checks import query_series
from experiments.container_cpu import SATURATED_CORES, ContainerCpu
from experiments.experiment_state import ExperimentState, verdict_of
from experiments.lab import Lab
from experiments.narration import Narrator
from experiments.outcome import analysed, executed_events, started_record
from experiments.recording import RATE_WINDOW, STEP_SECONDS, await_last_scrape, series_of, series_range
from experiments.results_io import write_series_csv
from experiments.run_record import ContainerBusy, CpuSeen, RunRecord, Versions, save_record
from experiments.service_health import await_healthy
from experiments.stack import Stack
from experiments.timeline import TimelineClock, plan_events
from stormlab_common.queries import QUERIES
from stormlab_common.scenario import Scenario

DRAIN_TIMEOUT = 60


class Interrupted(Exception):
    """SIGTERM, turned into an exception so the same clean-up runs as for Ctrl-C."""


def run_scenario(
    scenario: Scenario, results_root: Path, stack: Stack, *, progress: bool = True, say=print,
    narrator: Narrator | None = None, report: bool = True,
) -> Path:
    """Runs ``scenario`` and returns its folder. ``report=False`` leaves the report for later
    (``python -m experiments.report RUN_DIR``): a map's hundreds of runs need only their verdicts."""
    lab = Lab(stack)  # asks the device which it is, before anything is written
    started = dt.datetime.now(dt.UTC)
    run_dir = results_root / f"{started:%Y%m%dT%H%M%SZ}-{scenario.name}"
    run_dir.mkdir(parents=True, exist_ok=False)
    record = replace(started_record(scenario, _iso(started), _versions(stack)), device=lab.device_kind)
    notes: list[str] = []  # appended to by the experiment state's thread too; copied into each write
    save_record(run_dir, record)
    previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupted)
    state = ExperimentState.for_run(scenario, lab, notes, RATE_WINDOW)  # for the dashboards
    clock: TimelineClock | None = None
    cpu: ContainerCpu | None = None
    series: dict = {}
    bar = _progress_bar(scenario, progress)
    try:
        _drain(lab, say)
        _apply_settings(scenario, lab)
        record = replace(record, workers=_worker_count(lab, notes))
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
        cpu = ContainerCpu(stack.running_containers).start()  # from the timeline's start to its end
        if narrator is not None:
            narrator.timed_by(clock)  # its baseline is read as the record's, from the clock's start
        clock.run()
        record = replace(record, status="complete")
    except (KeyboardInterrupt, Interrupted):
        record = replace(record, status="interrupted", error="stopped by the user (Ctrl-C or SIGTERM)")
    except Exception as exc:
        record = replace(record, status="failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        if bar is not None:
            bar.close()
        signal.signal(signal.SIGTERM, _raise_interrupted)  # clean-up itself may be interrupted once more
        if cpu is not None:  # the timeline is over: the clean-up's own CPU is not the run's
            cpu.stop()
        cpu_until = time.time()
        try:
            notes += [f"on the kernel device: {line}" for line in lab.left_out]
            notes += [f"could not restore: {f}" for f in lab.restore()]
            if clock is not None and clock.started_wall is not None:
                record = _with_timeline(record, clock.executed, notes)
                record = replace(record, cpu=_cpu_seen(cpu, scenario, clock.started_wall, cpu_until, notes))
                await_last_scrape(lab.query, time.time())
                elapsed = clock.elapsed()
                series = _collect(lab.prometheus, scenario, clock.started_wall, elapsed, notes)
                # when each alert rule shipped with the stack fired (the report's Alerts)
                fired = alerts.recorded(lab.prometheus, clock.started_wall, elapsed, notes)
                record = replace(record, alerts=fired)
                if scenario.trigger is not None:
                    series.update(_fine_timing(scenario, lab, clock.started_wall, notes))
            record = replace(record, ended_at=_iso(dt.datetime.now(dt.UTC)))
            if record.status == "complete":
                record = analysed(record, scenario, series)
            write_series_csv(run_dir / "series.csv", series)
            notes.append(annotations.post(lab, record, clock.started_wall if clock else None))
            state.finish(verdict_of(record))
            save_record(run_dir, replace(record, notes=tuple(notes)))
            if report:
                _write_report(run_dir, replace(record, notes=tuple(notes)))
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
    if record.status == "interrupted":
        raise KeyboardInterrupt
    return run_dir


def _apply_settings(scenario: Scenario, lab: Lab) -> None:
    """The scenario's settings, in the order the offline check rehearses them
    (experiments/validation.py); a service under test must answer its health check before the
    clients are configured (else ServiceNotHealthy, and the run stops before its timeline)."""
    for device, patch in scenario.devices.items():
        lab.patch_device(device, patch)
    own = scenario.service_under_test
    if own is not None:  # after the devices: its link may cross one the scenario creates
        lab.put_link(own.link, own.link_config())
    for link, patch in scenario.links.items():
        lab.patch_link(link, patch)
    for service, patch in scenario.services.items():
        lab.patch_service(service, patch)
    if own is not None:
        await_healthy(lab.stack, own)
    lab.configure_clients(scenario.client_config, scenario.seed)


def _worker_count(lab: Lab, notes: list[str]) -> int | None:
    """How many workers run the clients (they may run on other hosts, docs/remote-workers.md);
    one the master cannot tell is a note, not a failed run."""
    try:
        return lab.worker_count()
    except Exception as exc:
        notes.append(f"load generator's workers not counted: {type(exc).__name__}: {exc}")
        return None


def _with_timeline(record: RunRecord, executed: list[dict], notes: list[str]) -> RunRecord:
    """The record with the timeline as executed; one that does not fit the record is a note,
    so the rest of the run is still written."""
    try:
        return replace(record, timeline=executed_events(executed))
    except Exception as exc:
        notes.append(f"timeline not recorded: {type(exc).__name__}: {exc}")
        return record


def _cpu_seen(cpu: ContainerCpu | None, scenario: Scenario, started_wall: float, until: float,
              notes: list[str]) -> CpuSeen | None:
    """Each container's CPU over the timeline and over the trigger; none measured is a note."""
    if cpu is None:
        return None
    if cpu.problem:
        notes.append(f"containers' CPU: {cpu.problem}")
    run = cpu.peaks(started_wall, until)
    if not run:
        notes.append("containers' CPU not recorded: the Docker API gave no readings")
        return None
    during = {}
    if scenario.trigger is not None:
        start, end = scenario.windows()["during"]
        during = cpu.peaks(started_wall + start, started_wall + end)

    def busy(figures: dict) -> dict[str, ContainerBusy]:
        return {name: ContainerBusy(**values) for name, values in figures.items()}

    return CpuSeen(run=busy(run), during=busy(during), saturated_at_cores=SATURATED_CORES,
                   machine_cores=len(os.sched_getaffinity(0)))


def _fine_timing(scenario: Scenario, lab: Lab, started_wall: float, notes: list[str]) -> dict:
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
            notes.append(f"{what} not recorded: {type(exc).__name__}: {exc}")
    return series


def _drain(lab: Lab, say) -> None:
    """No clients, no attempts waiting at the device: the run starts from quiet."""
    from experiments.waiting import poll

    def quiet() -> tuple[bool, float, float]:
        waiting = lab.query("sum(stormlab_proxy_waiting_connections)") or 0
        in_flight = lab.query("sum(stormlab_client_in_flight_requests)") or 0
        return lab.clients_stopped(), waiting, in_flight

    def start_anyway(state: tuple[bool, float, float]) -> tuple[bool, float, float]:
        _, waiting, in_flight = state
        say(
            f"warning: the stack did not drain in {DRAIN_TIMEOUT} s ({waiting:.0f} attempts waiting "
            f"at the device, {in_flight:.0f} requests in flight); starting anyway"
        )
        return state

    lab.stop_clients()
    poll(quiet, lambda state: state == (True, 0, 0), timeout=DRAIN_TIMEOUT, every=1, timed_out=start_anyway)


def _collect(prometheus, scenario: Scenario, started_wall: float, elapsed: float, notes: list[str]) -> dict:
    """Every named series, and every check's query as ``check:<n>``, over the run, in seconds
    since its start, from ``prometheus`` (experiments/clients/prometheus.py). A failed query
    is noted and skipped, never fatal: a partial run keeps what could be read."""
    start, end = series_range(started_wall, elapsed)
    wanted = [(query.name, query.expression(RATE_WINDOW), query.by) for query in QUERIES]
    wanted += [(name, promql, None) for name, promql in query_series(scenario).items()]
    series: dict[str, list[tuple[float, float]]] = {}
    for name, promql, by in wanted:
        try:
            result = prometheus.query_range(promql, start, end, STEP_SECONDS)
        except Exception as exc:
            notes.append(f"series {name} not recorded: {exc}")
            continue
        if by is None and len(result) > 1:
            labels = ", ".join(str(item["metric"]) for item in result[:3])
            notes.append(f"series {name} not recorded: its query returned {len(result)} series "
                         f"({labels}...); a series needs one (aggregate it, e.g. with sum(...), or "
                         "select one by its labels)")
            continue
        for item in result:
            key = name + item["metric"].get(by, "") if by else name
            series[key] = series_of(item["values"], started_wall)
    if "connection_setup_limit" in series:  # once every attempt needs a connection, this is capacity
        series["capacity"] = list(series["connection_setup_limit"])
    return series


def _write_report(run_dir: Path, record: RunRecord) -> None:
    try:
        from experiments.report import write_report

        write_report(run_dir)
    except Exception as exc:  # the data is safe in run.json and series.csv; say what is missing
        note = f"report not written: {type(exc).__name__}: {exc}"
        save_record(run_dir, replace(record, notes=(*record.notes, note)))


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


def _versions(stack: Stack) -> Versions:
    try:
        images = stack.image_ids()
    except Exception as exc:
        images = {"error": str(exc)}
    try:
        version = importlib.metadata.version("stormlab")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return Versions(stormlab=version, python=platform.python_version(), images=images)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _raise_interrupted(signum, frame):
    raise Interrupted()
