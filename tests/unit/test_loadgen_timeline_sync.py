"""Workers' attempt slots carried to the master's timeline, over fake runners that deliver
messages as locust does (in order, one at a time, locust 2.12's signatures), on fake clocks."""

import logging
from collections import namedtuple

import pytest

from loadgen import timeline_sync
from loadgen.attempt_timeline import AttemptTimeline

Message = namedtuple("Message", "type data node_id")


class Clock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


class FakeMaster:
    def __init__(self):
        self.handlers, self.workers = {}, []

    def register_message(self, msg_type, listener):  # 2.12: no ``concurrent``
        assert msg_type not in self.handlers
        self.handlers[msg_type] = listener


class FakeWorker:
    """Delivers at once, as a message on the master's loop; or fails to send, when told."""

    def __init__(self, master, worker_id):
        self.master, self.worker_id, self.failing, self.sent = master, worker_id, False, []
        master.workers.append(worker_id)

    def send_message(self, msg_type, data=None):  # 2.12: no client_id
        if self.failing:
            raise OSError("no route to the master")
        # as msgpack carries it: the data arrive as a copy
        data = {"through": data["through"], "slots": [list(s) for s in data["slots"]]}
        self.sent.append(data)
        self.master.handlers[msg_type](environment=None, msg=Message(msg_type, data, self.worker_id))


def distributed():
    clock, runner = Clock(), FakeMaster()
    served = AttemptTimeline(clock)
    return clock, runner, served, timeline_sync.Master(runner, served, lambda: list(runner.workers))


def start_worker(runner, clock, worker_id):
    timeline = AttemptTimeline(clock)
    link = FakeWorker(runner, worker_id)
    return timeline, link, timeline_sync.Worker(link, timeline)


def test_each_worker_ships_its_closed_slots_and_the_master_adds_them_up():
    clock, runner, served, master = distributed()
    one, _, one_ships = start_worker(runner, clock, "w1")
    two, _, two_ships = start_worker(runner, clock, "w2")
    assert master.shipped() == {"w1": None, "w2": None}  # connected, not reported yet
    clock.now = 100.05
    one.record(1)
    two.record(1)
    two.record(2)
    clock.now = 100.15
    one.record(2)  # its slot is still open: it waits for the next message
    one_ships.ship()
    two_ships.ship()
    assert master.shipped() == {"w1": 100.1, "w2": 100.1}
    assert served.window(100.0, 100.2) == [[100.0, 2, 1], [100.1, 0, 0]]
    clock.now = 100.6
    one_ships.ship()
    assert master.shipped() == {"w1": 100.6, "w2": 100.1}
    assert served.window(100.0, 100.2) == [[100.0, 2, 1], [100.1, 0, 1]]


def test_a_worker_with_nothing_to_ship_still_says_how_far_it_is_counted():
    clock, runner, _, master = distributed()
    _, link, ships = start_worker(runner, clock, "w1")
    clock.now = 100.57
    ships.ship()
    assert link.sent == [{"through": 100.5, "slots": []}]
    assert master.shipped() == {"w1": 100.5}


def test_only_connected_workers_are_listed():
    clock, runner, _, master = distributed()
    start_worker(runner, clock, "w1")[2].ship()
    start_worker(runner, clock, "w2")[2].ship()
    runner.workers.remove("w2")
    assert master.shipped() == {"w1": 100.0}


def test_a_bad_message_is_logged_and_adds_nothing(caplog):
    _, runner, served, master = distributed()
    runner.workers.append("w1")
    handler = runner.handlers[timeline_sync.SLOTS]
    with caplog.at_level(logging.ERROR, "loadgen"):
        for data in (None, {"through": 100.5}, {"through": 100.5, "slots": [[1000, 1, 0], [1001, "x", 0]]},
                     {"through": "soon", "slots": []}):
            handler(environment=None, msg=Message(timeline_sync.SLOTS, data, "w1"))
    assert caplog.text.count("ignored attempt slots from worker w1") == 4
    assert served.window(100.0, 100.2) == [[100.0, 0, 0], [100.1, 0, 0]]
    assert master.shipped() == {"w1": None}


def test_slots_that_could_not_be_sent_go_with_the_next_message():
    clock, runner, served, _ = distributed()
    timeline, link, ships = start_worker(runner, clock, "w1")
    clock.now = 100.05
    timeline.record(1)
    clock.now = 100.1
    link.failing = True
    with pytest.raises(OSError):
        ships.ship()
    link.failing = False
    clock.now = 100.2
    ships.ship()
    assert link.sent == [{"through": 100.2, "slots": [[1000, 1, 0]]}]
    assert served.window(100.0, 100.1) == [[100.0, 1, 0]]


def test_a_worker_ships_every_half_second_and_keeps_trying_when_a_send_fails(caplog):
    clock, runner, _, master = distributed()
    timeline = AttemptTimeline(clock)
    link = FakeWorker(runner, "w1")
    sleeps = []

    class Done(Exception):
        pass

    def sleep(seconds):  # the clock moves on; the fourth wait ends the test
        sleeps.append(seconds)
        clock.now += seconds
        link.failing = len(sleeps) == 2
        if len(sleeps) == 4:
            raise Done

    with caplog.at_level(logging.ERROR, "loadgen"), pytest.raises(Done):
        timeline_sync.Worker(link, timeline, sleep)._ship_forever()
    assert sleeps == [0.5] * 4
    assert [m["through"] for m in link.sent] == [100.5, 101.5]  # the second send failed
    assert "could not send attempt slots to the master" in caplog.text
    assert master.shipped() == {"w1": 101.5}


def test_a_local_runner_is_counted_up_to_now():
    clock, runner = Clock(100.37), FakeMaster()
    master = timeline_sync.Master(runner, AttemptTimeline(clock), None)
    assert master.shipped() == {"local": 100.3}
    assert runner.handlers == {}  # it records straight into the timeline it serves
