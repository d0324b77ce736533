"""The timeline: events planned from a scenario, executed in order, on time, recorded."""

import time

import pytest

from experiments.timeline import TimelineClock, plan_events
from stormlab_common.scenario import parse_scenario


class FakeLab:
    def __init__(self):
        self.calls = []
        self.client_count = 0

    def set_client_count(self, count, spawn_rate=100):
        self.calls.append(("clients", count))
        self.client_count = count
        self.spawn_rate = spawn_rate

    def set_client_setting(self, key, value):
        self.calls.append(("setting", key, value))

    def announce_membership(self, service):
        self.calls.append(("announce", service))

    def patch_link(self, link, patch):
        self.calls.append(("link", link, patch))

    def patch_clients(self, patch):
        self.calls.append(("clients-config", patch))

    def stop_clients(self):
        self.calls.append(("stop",))


def scenario(time_scale=1.0, **timeline):
    return parse_scenario({
        "name": "t", "description": "d", "expect": {"verdict": "recovered", "reasoning": "r"},
        # a short client timeout, so the timeline may be scaled down to well under a second
        "clients": {"count": 10, "config": {"clients": {"c": {"policy": {"name": "none"},
                                                               "attempt_timeout_seconds": 0.01}}}},
        "verdict": {"recover_within_seconds": 5},
        "timeline": {"warmup": 0.05, "trigger": {"at": 2, "duration": 2, "surge_factor": 3, "membership": "api"},
                     "actions": [{"at": 5, "do": "move_link", "link": "dns", "device": "side", "name": "move"},
                                 {"at": 5, "do": "disable_sources", "fraction": 0.5}],
                     "end": 12, **timeline}}, time_scale)


def test_events_follow_the_scenario_in_order():
    lab = FakeLab()
    events = plan_events(scenario(), lab)
    assert [(e.kind, e.at) for e in events] == [("start", 0), ("trigger", 2), ("trigger_end", 4),
                                                 ("action", 5), ("action", 5), ("end", 12)]
    for event in events:
        event.run()
    assert lab.calls == [("clients", 10), ("announce", "api"), ("clients", 30), ("clients", 10),
                         ("link", "dns", {"device": "side"}), ("clients", 5), ("stop",)]


def test_a_booting_surge_fetches_on_start_and_starts_at_once():
    lab = FakeLab()
    plain = plan_events(scenario(), lab)
    plain[1].run()
    assert lab.spawn_rate == 100  # the scenario's own rate (above the surge of 30)
    lab = FakeLab()
    trigger = {"at": 2, "duration": 2, "surge_factor": 3, "membership": "api", "boot_fetch": True}
    events = plan_events(scenario(trigger=trigger), lab)
    assert "boot together" in events[1].detail
    events[1].run()
    # the setting reaches the clients before any new one starts
    assert lab.calls == [("setting", "fetch_on_start", True), ("announce", "api"), ("clients", 30)]
    assert lab.spawn_rate == 30 * 20


def test_the_clock_runs_each_event_at_its_time_within_a_tolerance():
    lab = FakeLab()
    events = plan_events(scenario(time_scale=0.05), lab)  # 12 s scaled to 0.6 s
    ticks = []
    clock = TimelineClock(events, on_tick=lambda elapsed, phase: ticks.append(phase), tick_seconds=0.01)
    started = time.monotonic()
    clock.run()
    assert time.monotonic() - started == pytest.approx(0.6, abs=0.25)
    for record in clock.executed:
        assert record["executed_seconds"] >= record["planned_seconds"] - 0.001
        assert record["executed_seconds"] - record["planned_seconds"] < 0.2  # lower bound exact, upper generous
    assert "trigger: surge" in ticks and ticks[-1] == "done"


def test_a_failing_event_is_recorded_and_stops_the_timeline():
    lab = FakeLab()
    events = plan_events(scenario(time_scale=0.05), lab)

    def broken():
        raise ConnectionError("proxy gone")

    events[1].run = broken
    clock = TimelineClock(events, tick_seconds=0.01)
    with pytest.raises(ConnectionError):
        clock.run()
    assert [r["ok"] for r in clock.executed] == [True, False]
    assert clock.executed[1]["error"] == "ConnectionError: proxy gone"
    assert ("stop",) not in lab.calls  # the runner's clean-up stops the clients, not the timeline
