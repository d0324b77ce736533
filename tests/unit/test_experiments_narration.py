"""The demo's narration: events told as they run, status lines with what they mean."""

from pathlib import Path

from experiments.narration import Narrator
from experiments.scenario import load_scenario
from experiments.timeline import Event

SCENARIO = load_scenario(Path(__file__).resolve().parents[2] / "experiments/retry-storm-remediation.yaml")


class FakePrometheus:
    """Answers the narrator's queries from a dict of figures the test sets."""

    def __init__(self):
        self.figures = {}

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


def event(kind: str, at: float, name: str = "x", detail: str = "detail") -> Event:
    ran = []
    return Event(name, kind, at, "act", detail, lambda: ran.append(kind))


def test_events_are_told_after_they_ran_and_the_story_follows_the_figures():
    said, prometheus = [], FakePrometheus()
    narrator = Narrator(SCENARIO, prometheus, said.append, every_seconds=5)
    events = [event("start", 0, detail="50 clients"), event("trigger", 30, detail="clients x4"),
              event("trigger_end", 45, detail="back to 50 clients"), event("action", 70, "move-dns", "dns moved")]
    narrator.wrap(events)

    events[0].run()
    assert said[-1].startswith("  t+   0 s  50 clients: the steady state")
    prometheus.figures = {"goodput": 60.0, "retry_amplification": 1.0, "connection_attempts": 60.0}
    narrator.tick(10, "baseline")
    assert "goodput 60 req/s" in said[-1] and "1.0 attempts per request" in said[-1]
    assert "60 connection attempts/s vs a limit of 100" in said[-1]

    events[1].run()
    prometheus.figures = {"goodput": 3.0, "retry_amplification": 4.8, "connection_attempts": 310.0}
    narrator.tick(35, "trigger: surge")
    assert "(5% of baseline 60)" in said[-2]
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
    assert "partly back: the action helped, but this is not a recovery yet" in said[-1]
    prometheus.figures = {"goodput": 58.0, "retry_amplification": 1.1, "connection_attempts": 70.0}
    narrator.tick(80, "after move-dns")
    assert "the system is RECOVERED" in said[-1]


def test_a_lost_query_is_a_question_mark_not_a_failure():
    said = []

    def broken(promql):
        raise ConnectionError("prometheus is down")

    narrator = Narrator(SCENARIO, broken, said.append, every_seconds=5)
    narrator.tick(10, "baseline")
    assert said == ["  t+  10 s  goodput ? req/s, ? attempts per request, ? connection attempts/s vs a limit of ?"]


def test_nothing_measured_never_prints_as_negative_zero():
    said, prometheus = [], FakePrometheus()
    narrator = Narrator(SCENARIO, prometheus, said.append, every_seconds=5)
    events = [event("start", 0, detail="50 clients")]
    narrator.wrap(events)
    events[0].run()
    prometheus.figures = {"goodput": 60.0, "retry_amplification": 1.0, "connection_attempts": 60.0}
    narrator.tick(10, "baseline")
    prometheus.figures = {"goodput": -0.0001, "retry_amplification": -0.0, "connection_attempts": -0.2}
    narrator.tick(20, "baseline")  # still the baseline (its mean now 30): the figures, no judgement
    assert said[-1] == ("  t+  20 s  goodput 0 req/s (0% of baseline 30), 0.0 attempts per request, "
                        "0 connection attempts/s vs a limit of 100")
