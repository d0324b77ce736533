"""The running experiment's state, pushed to a fake Pushgateway: a real HTTP server on port 0."""

import math
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from experiments.experiment_state import JOB, PHASES, ExperimentState, phase_of, verdict_of
from experiments.timeline import TimelineClock, plan_events
from stormlab_common import metric_names
from stormlab_common.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[2]


class FakePushgateway:
    """Records every push (method, path, body); answers after ``delay`` seconds."""

    def __init__(self, delay: float = 0.0):
        self.pushes: list[tuple[str, str, str]] = []
        self.delay = delay
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                time.sleep(gateway.delay)
                gateway.pushes.append((self.command, self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    fake = FakePushgateway()
    yield fake
    fake.close()


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def samples(body: str) -> dict[str, float]:
    """``name{labels}`` -> value, from a text exposition body."""
    found = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            found[key] = float(value)
    return found


def test_pushes_the_state_as_one_group_with_one_current_phase_and_verdict(gateway):
    state = ExperimentState("retry-storm", gateway.url, warmup=5)
    for elapsed, phase in [(1.0, "baseline"), (6.0, "baseline"), (30.0, "trigger: surge")]:
        state.tick(elapsed, phase)
        assert state.flush(5)
    state.finish("metastable")
    assert len(gateway.pushes) == 4  # the start, two phase changes, the end
    method, path, body = gateway.pushes[-1]
    assert (method, path) == ("PUT", f"/metrics/job/{JOB}")  # PUT: the group is replaced whole
    found = samples(body)
    for phase in PHASES:
        assert found[f'stormlab_experiment_phase{{phase="{phase}",scenario="retry-storm"}}'] == (phase == "end")
    assert found['stormlab_experiment_verdict{scenario="retry-storm",verdict="metastable"}'] == 1
    assert found['stormlab_experiment_verdict{scenario="retry-storm",verdict="pending"}'] == 0
    assert found['stormlab_experiment_elapsed_seconds{scenario="retry-storm"}'] == 30.0
    assert math.isnan(found['stormlab_experiment_goodput_ratio{scenario="retry-storm"}'])  # no goodput read
    first = samples(gateway.pushes[0][2])
    assert first['stormlab_experiment_phase{phase="warmup",scenario="retry-storm"}'] == 1
    assert first['stormlab_experiment_verdict{scenario="retry-storm",verdict="pending"}'] == 1
    assert samples(gateway.pushes[1][2])['stormlab_experiment_phase{phase="before",scenario="retry-storm"}'] == 1
    assert state.pushes == 4 and state.notes == []


def test_pushes_are_throttled_to_one_per_interval_plus_one_per_phase_change(gateway):
    clock = FakeClock()
    state = ExperimentState("s", gateway.url, warmup=0, interval=2.0, clock=clock)
    assert state.flush(5)
    for step in range(1, 11):  # 5 s of ticks every 0.5 s in one phase
        clock.now += 0.5
        state.tick(step * 0.5, "baseline")
        assert state.flush(5)
    # the start (warmup), the change to before at 0.5 s, then one per 2 s: 2.5 s and 4.5 s
    assert len(gateway.pushes) == 4
    clock.now += 0.1
    state.tick(5.1, "trigger: surge")  # a phase change goes out at once
    assert state.flush(5)
    assert len(gateway.pushes) == 5
    state.finish("recovered")
    assert len(gateway.pushes) == 6
    elapsed = [samples(b)['stormlab_experiment_elapsed_seconds{scenario="s"}'] for _, _, b in gateway.pushes]
    assert elapsed == [0.0, 0.5, 2.5, 4.5, 5.1, 5.1]


def test_a_slow_gateway_never_slows_the_timeline():
    slow = FakePushgateway(delay=1.0)
    try:
        clock = FakeClock()
        state = ExperimentState("s", slow.url, interval=0.0, timeout=2.0, clock=clock)
        started = time.monotonic()
        for step in range(20):
            clock.now += 1
            state.tick(step, "baseline")
        assert time.monotonic() - started < 0.2  # 20 ticks while pushes take 1 s each
        state.finish("stable", wait=10)
        assert 1 <= len(slow.pushes) <= 3  # requests made during a push coalesce into the next one
        last = samples(slow.pushes[-1][2])  # whatever was coalesced, the latest state went out
        assert last['stormlab_experiment_verdict{scenario="s",verdict="stable"}'] == 1
        assert last['stormlab_experiment_elapsed_seconds{scenario="s"}'] == 19
    finally:
        slow.close()


def test_an_unreachable_gateway_is_noted_once_and_then_left_alone():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    notes = ["earlier note"]
    state = ExperimentState("s", f"http://127.0.0.1:{port}", notes=notes, interval=0.0)
    started = time.monotonic()
    for step in range(5):
        state.tick(step, "baseline")
    state.finish("stable")
    assert time.monotonic() - started < 2.0
    assert state.pushes == 0
    assert len(notes) == 2 and notes[1].startswith(f"experiment state not pushed to the Pushgateway at http://127.0.0.1:{port}")


def test_no_gateway_means_nothing_is_pushed_and_the_run_says_why():
    notes = []
    state = ExperimentState("s", None, notes=notes)
    state.tick(1, "baseline")
    state.finish("stable", wait=0.1)
    assert state.pushes == 0
    assert notes == ["experiment state not published: the stack has no Pushgateway (port 9091)"]


def test_goodput_ratio_is_live_goodput_over_its_mean_before_the_trigger(gateway):
    readings = iter([10.0, 14.0, 3.0, RuntimeError("prometheus down"), None])

    def goodput():
        value = next(readings)
        if isinstance(value, Exception):
            raise value
        return value

    notes = []
    state = ExperimentState("s", gateway.url, warmup=2, goodput=goodput, notes=notes, interval=0.0)
    ratio = 'stormlab_experiment_goodput_ratio{scenario="s"}'
    assert state.flush(5)
    for elapsed, phase in [(1, "baseline"), (3, "baseline"), (4, "baseline"), (6, "trigger: surge"),
                           (8, "after the trigger"), (9, "after move-dns")]:
        state.tick(elapsed, phase)
        assert state.flush(5)
    state.finish("metastable")
    ratios = [samples(body)[ratio] for _, _, body in gateway.pushes]
    assert math.isnan(ratios[0]) and math.isnan(ratios[1])  # the start and the warmup: no baseline yet
    assert ratios[2:5] == [1.0, pytest.approx(14 / 12), pytest.approx(3 / 12)]
    assert ratios[5] == pytest.approx(3 / 12)  # a failed read leaves the last value
    assert math.isnan(ratios[6])  # no series: no goodput to compare
    assert math.isnan(ratios[7])  # the end reads none and keeps the last value
    assert notes == ["experiment state: live goodput not read (RuntimeError: prometheus down)"]


def test_the_timeline_clocks_phases_map_onto_the_published_ones():
    scenario = parse_scenario({
        "name": "t", "description": "d", "expect": {"verdict": "recovered", "reasoning": "r"},
        "clients": {"count": 10, "config": {"clients": {"c": {"policy": {"name": "none"},
                                                               "attempt_timeout_seconds": 0.01}}}},
        "verdict": {"recover_within_seconds": 5},
        "timeline": {"warmup": 0.05, "trigger": {"at": 2, "duration": 2, "surge_factor": 3, "membership": "api"},
                     "actions": [{"at": 5, "do": "move_link", "link": "dns", "device": "side", "name": "move"}],
                     "end": 12}}, time_scale=0.05)

    class Lab:
        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    seen = []
    clock = TimelineClock(plan_events(scenario, Lab()), tick_seconds=0.005,
                          on_tick=lambda elapsed, phase: seen.append(phase_of(phase, elapsed, scenario.warmup)))
    clock.run()
    assert list(dict.fromkeys(seen)) == list(PHASES)


def test_verdict_of_a_run_record():
    from dataclasses import replace

    from tests.unit.experiments_support import RUN, partial_run

    assert verdict_of(RUN) == RUN.verdict.verdict == "metastable"
    assert verdict_of(partial_run()) == "interrupted"
    assert verdict_of(replace(partial_run(), status="failed")) == "failed"
    assert verdict_of(replace(partial_run(), status="running")) == "failed"


def test_its_metric_names_are_shared_and_documented():
    state = ExperimentState("s", None)
    exported = {family.name for family in state.registry.collect()}
    shared = {v for k, v in vars(metric_names).items() if k.startswith("EXPERIMENT_")}
    assert exported == shared
    documented = set(re.findall(r"^\| `(stormlab_experiment_[a-z_]+)`", (ROOT / "docs/metrics.md").read_text(), re.M))
    assert documented == shared
