"""The demo's narration: events told as they run, status lines with what they mean, the
baseline the run's record will give, and a recovery judged by the clients still running."""

from pathlib import Path

import pytest

from experiments.figures import measure
from experiments.live_baseline import record_baseline
from experiments.narration import Narrator
from experiments.timeline import Event
from stormlab_common.scenario import load_scenario

SCENARIO = load_scenario(Path(__file__).resolve().parents[2] / "experiments/retry-storm-remediation.yaml")
STARTED = 1_700_000_000.0  # the timeline clock's wall-clock start


class FakePrometheus:
    """Answers the narrator's instant queries from figures the test sets, and its range query
    of goodput from a series, sampled as Prometheus samples a range: from its start, every step."""

    def __init__(self, goodput=lambda t: 60.0):
        self.figures, self.goodput, self.ranges = {}, goodput, []

    def __call__(self, promql: str):
        if "connection_attempts_total" in promql:
            return self.figures.get("connection_attempts")
        if "limit_new_connections" in promql:
            return 100.0
        if "/" in promql:  # attempts / started
            return self.figures.get("retry_amplification")
        if 'outcome="success"' in promql and "by (" not in promql:
            return self.figures.get("goodput")
        return self.figures.get("other")

    def query_range(self, promql, start, end, step):
        assert 'outcome="success"' in promql and "[6s]" in promql, promql  # the recorded goodput
        self.ranges.append((start, end, step))
        count = int((end - start) / step + 1e-9) + 1
        return [{"metric": {}, "values": [[start + k * step, str(self.goodput(k * step))] for k in range(count)]}]


class Clock:
    started_wall = STARTED


def narrated(prometheus, said, every_seconds=5):
    narrator = Narrator(SCENARIO, prometheus, said.append, every_seconds=every_seconds,
                        query_range=prometheus.query_range)
    narrator.timed_by(Clock())
    return narrator


def event(kind: str, at: float, name: str = "x", detail: str = "detail") -> Event:
    ran = []
    return Event(name, kind, at, "act", detail, lambda: ran.append(kind))


def test_events_are_told_after_they_ran_and_the_story_follows_the_figures():
    said, prometheus = [], FakePrometheus()
    narrator = narrated(prometheus, said)
    events = [event("start", 0, detail="50 clients"), event("trigger", 30, detail="clients x4"),
              event("trigger_end", 45, detail="back to 50 clients"), event("action", 70, "move-dns", "dns moved")]
    narrator.wrap(events)

    events[0].run()
    assert said[-1].startswith("  t+   0 s  50 clients: the steady state")
    prometheus.figures = {"goodput": 60.0, "retry_amplification": 1.0, "connection_attempts": 60.0}
    narrator.tick(10, "baseline")  # the before window (16 s to 30 s) has not begun: no baseline yet
    assert said[-1] == ("  t+  10 s  goodput 60 req/s (baseline: its mean from t+16 s to t+30 s), 1.0 attempts "
                        "per request, 60 connection attempts/s vs a limit of 100")
    narrator.tick(20, "baseline")
    assert "goodput 60 req/s (baseline so far 60.0, provisional until t+30 s)" in said[-1]

    events[1].run()
    prometheus.figures = {"goodput": 3.0, "retry_amplification": 4.8, "connection_attempts": 310.0}
    narrator.tick(33, "trigger: surge")  # the window (to 30 s) closed, and its last scrape is in
    assert said[-3] == ("  t+  33 s  baseline 60.0 req/s: the mean goodput from t+16 s to t+30 s, as the run's "
                        "record and report give it")
    assert "(5% of baseline 60.0)" in said[-2]
    assert said[-1].endswith("the device is overloaded: attempts fail, clients retry, each retry a new connection.")

    events[2].run()
    assert "surge over (back to 50 clients)" in said[-1]
    narrator.tick(50, "after the trigger")
    assert "METASTABLE so far" in said[-1]
    count = len(said)
    narrator.tick(52, "after the trigger")  # sooner than every_seconds: nothing said
    assert len(said) == count
    narrator.tick(56, "after the trigger")  # same judgement: the figures, not the judgement again
    assert len(said) == count + 1 and "METASTABLE" not in said[-1]

    events[3].run()
    assert "operator action, move-dns: dns moved" in said[-1]
    prometheus.figures = {"goodput": 40.0, "retry_amplification": 2.6, "connection_attempts": 245.0}
    narrator.tick(70, "after move-dns")
    assert "partly back: the action helped, but this is not a recovery yet." in said[-1]
    prometheus.figures = {"goodput": 58.0, "retry_amplification": 1.1, "connection_attempts": 70.0}
    narrator.tick(80, "after move-dns")
    assert said[-1].endswith("the action worked, the system is RECOVERED.")


def test_the_baseline_said_is_the_records_once_its_window_has_closed():
    # a goodput that changes every second: any other window or mean would give another number
    said, prometheus = [], FakePrometheus(goodput=lambda t: 40 + (7 * t) % 23)
    series = [(float(t), 40.0 + (7 * t) % 23) for t in range(151)]  # the series the runner records
    narrator = narrated(prometheus, said, every_seconds=10)
    start = event("start", 0, detail="50 clients")
    narrator.wrap([start])
    start.run()
    prometheus.figures = {"goodput": 50.0}
    narrator.tick(20, "baseline")
    provisional = narrator.baseline.value
    assert provisional == pytest.approx(record_baseline(SCENARIO, series, until=20))
    assert not narrator.baseline.final and "provisional until t+30 s" in said[-1]
    for elapsed in (30.5, 31, 32.5):  # closed, but its last scrape not yet in
        narrator.tick(elapsed, "trigger: surge")
    assert not narrator.baseline.final
    narrator.tick(33, "trigger: surge")
    record = measure(SCENARIO, {"goodput": series})["baseline_goodput"]
    assert narrator.baseline.final and narrator.baseline.value == record != provisional
    assert said[-1].startswith(f"  t+  33 s  baseline {record:.1f} req/s: the mean goodput from t+16 s to t+30 s")
    assert prometheus.ranges[-1] == (STARTED, STARTED + 30, 1.0)  # from the clock's start, as the runner reads
    reads = len(prometheus.ranges)
    narrator.tick(41, "trigger: surge")
    assert len(prometheus.ranges) == reads and f"of baseline {record:.1f})" in said[-1]  # final: not read again


@pytest.mark.parametrize(("goodput", "judged"), [
    (46.0, "goodput is back: the action worked, the system is RECOVERED (goodput back at 77% of baseline: "
           "disable-sources at 100 s left 38 of the 50 clients, so 76% of baseline is full recovery for the "
           "clients left)."),
    (36.0, "goodput is partly back: the action helped, but this is not a recovery yet (goodput back at 60% of "
           "baseline: disable-sources at 100 s left 38 of the 50 clients, so 76% of baseline would be full "
           "recovery for the clients left; this is short of it)."),
])
def test_after_clients_are_stopped_a_recovery_is_judged_by_those_left(goodput, judged):
    said, prometheus = [], FakePrometheus()
    narrator = narrated(prometheus, said)
    events = [event("start", 0), event("trigger", 30), event("trigger_end", 45),
              event("action", 70, "move-dns"), event("action", 100, "disable-sources")]
    narrator.wrap(events)
    for e in events[:4]:
        e.run()
    narrator.tick(35, "x")  # the baseline, 60, is final
    prometheus.figures = {"goodput": goodput}
    narrator.tick(90, "after move-dns")  # all 50 clients still run: 77% is not all of them
    assert "not a recovery yet." in said[-1] and "clients" not in said[-1]
    events[4].run()  # a quarter of 50 stopped: round(37.5) = 38 left
    narrator.tick(110, "after disable-sources")
    assert said[-1] == f"  t+ 110 s  {judged}"


def test_a_lost_query_is_a_question_mark_not_a_failure():
    said = []

    def broken(*args):
        raise ConnectionError("prometheus is down")

    narrator = Narrator(SCENARIO, broken, said.append, every_seconds=5, query_range=broken)
    narrator.timed_by(Clock())
    start = event("start", 0)
    narrator.wrap([start])
    start.run()
    narrator.tick(20, "baseline")
    assert said[-1] == "  t+  20 s  goodput ? req/s, ? attempts per request, ? connection attempts/s vs a limit of ?"


def test_a_baseline_that_cannot_be_read_is_asked_for_again_later_not_at_every_tick():
    calls = []

    def lost(*args):
        calls.append(args)
        raise ConnectionError("prometheus is down")

    narrator = Narrator(SCENARIO, lambda promql: None, [].append, every_seconds=60, query_range=lost)
    narrator.timed_by(Clock())
    start = event("start", 0)
    narrator.wrap([start])
    start.run()
    for elapsed in (33, 33.5, 34, 37.5):  # the window closed at 30 s; its last scrape is in at 33 s
        narrator.tick(elapsed, "trigger: surge")
    assert len(calls) == 1 and narrator.baseline.value is None
    narrator.tick(38, "trigger: surge")  # 5 s later
    assert len(calls) == 2


def test_nothing_measured_never_prints_as_negative_zero():
    said, prometheus = [], FakePrometheus()
    narrator = narrated(prometheus, said)
    events = [event("start", 0, detail="50 clients"), event("trigger", 30)]
    narrator.wrap(events)
    for e in events:
        e.run()
    prometheus.figures = {"goodput": -0.0001, "retry_amplification": -0.0, "connection_attempts": -0.2}
    narrator.tick(35, "trigger: surge")
    assert said[-2] == ("  t+  35 s  goodput 0 req/s (0% of baseline 60.0), 0.0 attempts per request, "
                        "0 connection attempts/s vs a limit of 100")
