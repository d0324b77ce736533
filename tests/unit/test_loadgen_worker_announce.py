"""Workers announcing where their metrics can be scraped, and stopping once their master has
gone silent, over fake runners that deliver messages as locust does (in order, at once, locust
2.12's signatures) on fake clocks."""

import logging
from collections import namedtuple

import pytest

from loadgen import worker_announce
from loadgen.worker_announce import MASTER_SILENCE_SECONDS, Master, Worker, address_problem
from loadgen.worker_registry import WorkerRegistry, WorkerSeen

Message = namedtuple("Message", "type data node_id")


class Clock:
    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now


class FakeMaster:
    def __init__(self):
        self.handlers, self.connected, self.answered = {}, [], []
        self.workers = {}  # id: FakeWorker, to deliver answers

    def register_message(self, msg_type, listener):  # 2.12: no ``concurrent``
        assert msg_type not in self.handlers
        self.handlers[msg_type] = listener

    def send_message(self, msg_type, data=None, client_id=None):
        self.answered.append(client_id)
        worker = self.workers[client_id]
        worker.handlers[msg_type](environment=None, msg=Message(msg_type, data, "master"))


class FakeWorker:
    def __init__(self, master, worker_id, connected=True):
        self.master, self.worker_id, self.handlers, self.quits = master, worker_id, {}, 0
        master.workers[worker_id] = self
        if connected:
            master.connected.append(worker_id)

    def register_message(self, msg_type, listener):
        self.handlers[msg_type] = listener

    def send_message(self, msg_type, data=None):  # 2.12: no client_id
        self.master.handlers[msg_type](environment=None, msg=Message(msg_type, dict(data), self.worker_id))

    def quit(self):
        self.quits += 1


class Stop(Exception):
    """Ends the announcing loop in a test."""


def distributed(wall=None):
    runner = FakeMaster()
    registry = WorkerRegistry(wall or Clock(1000.0))
    Master(runner, registry, lambda: list(runner.connected))
    return runner, registry


def test_the_master_records_each_announcement_and_answers_the_worker():
    runner, registry = distributed()
    remote, in_stack = FakeWorker(runner, "remote"), FakeWorker(runner, "in-stack")
    clock = Clock()
    Worker(remote, "192.168.1.31:9646", watch_master=True, clock=clock).announce()
    Worker(in_stack, None, watch_master=True, clock=clock).announce()
    assert registry.workers(runner.connected) == [WorkerSeen("remote", "192.168.1.31:9646", 1000.0),
                                                  WorkerSeen("in-stack", None, 1000.0)]
    assert runner.answered == ["remote", "in-stack"]


def test_a_worker_the_master_does_not_count_is_neither_recorded_nor_answered():
    # locust 2.12 hands on messages of workers it does not know (one from before a restart):
    # unanswered, such a worker stops once the silence bound is reached.
    runner, registry = distributed()
    stranger = FakeWorker(runner, "stranger", connected=False)
    Worker(stranger, "10.0.0.9:9646", watch_master=True).announce()
    assert runner.answered == [] and registry.workers(["stranger"]) == [WorkerSeen("stranger", None, None)]


@pytest.mark.parametrize("data", [{"metrics": "not an address"}, {"metrics": 9646}, {}, None])
def test_a_bad_announcement_is_logged_and_changes_nothing(caplog, data):
    runner, registry = distributed()
    runner.connected.append("w")
    with caplog.at_level(logging.ERROR, logger="loadgen"):
        runner.handlers[worker_announce.ANNOUNCE](environment=None, msg=Message("x", data, "w"))
    assert registry.workers(["w"]) == [WorkerSeen("w", None, None)] and runner.answered == []
    assert "ignored the announcement of worker w" in caplog.text


def test_a_worker_announces_every_two_seconds_while_its_master_answers():
    runner, _ = distributed()
    link = FakeWorker(runner, "w")
    clock, slept = Clock(), []

    def sleep(seconds):
        slept.append(seconds)
        clock.now += seconds
        if clock.now > 10 * MASTER_SILENCE_SECONDS:
            raise Stop

    with pytest.raises(Stop):
        Worker(link, "10.0.0.2:9646", watch_master=True, clock=clock, sleep=sleep)._announce_forever()
    assert set(slept) == {2.0} and len(runner.answered) == len(slept) and link.quits == 0


def test_a_worker_whose_master_went_silent_stops_after_the_bound(caplog):
    runner, _ = distributed()
    link = FakeWorker(runner, "w")
    clock = Clock()
    worker = Worker(link, "10.0.0.2:9646", watch_master=True, clock=clock, sleep=lambda s: None)
    worker.announce()  # answered at 0
    runner.connected.clear()  # e.g. a new master that does not know this worker

    def sleep(seconds):
        clock.now += seconds

    worker._sleep = sleep
    with caplog.at_level(logging.ERROR, logger="loadgen"):
        worker._announce_forever()  # returns once it has stopped the worker
    assert link.quits == 1
    assert MASTER_SILENCE_SECONDS < clock.now <= MASTER_SILENCE_SECONDS + worker_announce.ANNOUNCE_SECONDS
    assert "no answer from the master for 60 s: it is gone; stopping this worker" in caplog.text


def test_a_failing_send_is_logged_once_and_retried_until_the_bound(caplog):
    class Unreachable(FakeWorker):
        def send_message(self, msg_type, data=None):
            raise OSError("no route to the master")

    link = Unreachable(FakeMaster(), "w")
    clock = Clock()

    def sleep(seconds):
        clock.now += seconds

    with caplog.at_level(logging.ERROR, logger="loadgen"):
        Worker(link, None, watch_master=True, clock=clock, sleep=sleep)._announce_forever()
    assert caplog.text.count("could not announce this worker") == 1 and link.quits == 1


def test_the_first_answer_is_logged_once_as_the_worker_joining(caplog):
    runner, _ = distributed()
    worker = Worker(FakeWorker(runner, "w"), "10.0.0.2:9646", watch_master=True)
    with caplog.at_level(logging.INFO, logger="loadgen"):
        worker.announce()
        worker.announce()
    assert caplog.text.count("joined the master: it answered this worker's announcement (metrics advertised: "
                             "10.0.0.2:9646)") == 1


def test_a_local_runner_announces_to_itself_and_has_no_master_to_lose():
    class Local:  # locust's LocalRunner: send_message calls its own listener, node "local"
        def __init__(self):
            self.handlers, self.quits = {}, 0

        def register_message(self, msg_type, listener):
            self.handlers[msg_type] = listener

        def send_message(self, msg_type, data=None):
            self.handlers[msg_type](environment=None, msg=Message(msg_type, data, "local"))

        def quit(self):
            self.quits += 1

    runner, registry = Local(), WorkerRegistry(Clock(5.0))
    Master(runner, registry, None)
    clock = Clock()
    worker = Worker(runner, "10.0.0.2:9646", watch_master=False, clock=clock)
    worker.announce()
    clock.now = 10 * MASTER_SILENCE_SECONDS
    assert registry.workers(["local"]) == [WorkerSeen("local", "10.0.0.2:9646", 5.0)]
    assert not worker.master_silent() and runner.quits == 0


@pytest.mark.parametrize("address,ok", [("10.0.0.2:9646", True), ("worker-7.lan:1", True), ("h:65535", True),
                                        ("h:65536", False), ("h:0", False), ("h", False), ("[::1]:1", False)])
def test_an_address_is_host_and_port(address, ok):
    assert (address_problem(address) is None) == ok
