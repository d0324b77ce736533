"""Before a run: the clients stopped and nothing left waiting at the device or in flight;
a stack that does not get quiet in time is a warning, and the run starts anyway."""

import time

from experiments import runner


class QuietingLab:
    """Answers ``waiting`` attempts at the device and ``in_flight`` requests, one per read."""

    def __init__(self, waiting, in_flight, stopped=True):
        self.waiting, self.in_flight, self.stopped = list(waiting), list(in_flight), stopped
        self.calls = []

    def stop_clients(self):
        self.calls.append("stop")

    def clients_stopped(self):
        return self.stopped

    def query(self, promql):
        self.calls.append(promql)
        answers = self.waiting if "waiting" in promql else self.in_flight
        return answers.pop(0) if len(answers) > 1 else answers[0]


def test_the_run_starts_once_the_stack_is_quiet():
    lab, said = QuietingLab(waiting=[12, 0], in_flight=[3, None]), []  # None: no series, i.e. none
    started = time.monotonic()
    runner._drain(lab, said.append)
    assert said == [] and lab.calls[0] == "stop"
    assert len([c for c in lab.calls if "waiting" in c]) == 2
    assert 1.0 - 0.05 <= time.monotonic() - started < 1.0 + 2.0  # one pause of a second


def test_a_stack_that_stays_busy_is_a_warning_after_the_timeout(monkeypatch):
    monkeypatch.setattr(runner, "DRAIN_TIMEOUT", 0.2)
    lab, said = QuietingLab(waiting=[40], in_flight=[7], stopped=False), []
    started = time.monotonic()
    runner._drain(lab, said.append)
    assert said == ["warning: the stack did not drain in 0.2 s (40 attempts waiting at the device, "
                    "7 requests in flight); starting anyway"]
    assert 0.2 <= time.monotonic() - started < 0.2 + 1.0 + 2.0
