"""The live config carried between a master and its workers, over fake runners that deliver
messages as locust does: in order, one at a time, with the signatures of locust 2.12 (the
Debian package) and of current releases alike."""

import logging
from collections import namedtuple

from loadgen import config_sync
from loadgen.config import load_base
from loadgen.live_config import LiveConfig

Message = namedtuple("Message", "type data node_id")


class Network:
    def __init__(self):
        self.queue, self.workers = [], {}
        self.master = FakeMaster(self)

    def deliver(self):
        while self.queue:
            runner, msg = self.queue.pop(0)
            runner.handlers[msg.type](environment=None, msg=msg)


class FakeRunner:
    def __init__(self, network):
        self.network, self.handlers = network, {}

    def register_message(self, msg_type, listener):  # 2.12: no ``concurrent``
        assert msg_type not in self.handlers
        self.handlers[msg_type] = listener


class FakeMaster(FakeRunner):
    def send_message(self, msg_type, data=None, client_id=None):  # to one worker, or all
        for worker_id in [client_id] if client_id else list(self.network.workers):
            self.network.queue.append((self.network.workers[worker_id], Message(msg_type, data, "master")))


class FakeWorker(FakeRunner):
    def __init__(self, network, worker_id):
        super().__init__(network)
        self.worker_id = worker_id
        network.workers[worker_id] = self

    def send_message(self, msg_type, data=None):  # 2.12: no client_id
        self.network.queue.append((self.network.master, Message(msg_type, data, self.worker_id)))


class FakeLocal(FakeRunner):
    def send_message(self, msg_type, data=None):  # locust's LocalRunner calls its own listener
        self.handlers[msg_type](environment=None, msg=Message(msg_type, data, "local"))


class FakeRuntime:
    def __init__(self):
        self.configs = []

    def reconfigure(self, config):
        self.configs.append(config)


def live():
    return LiveConfig(load_base(env={}))


def distributed():
    network = Network()
    master_live = live()
    master = config_sync.Master(network.master, master_live, lambda: list(network.workers))
    return network, master, master_live


def start_worker(network, worker_id):
    runtime = FakeRuntime()
    worker = config_sync.Worker(FakeWorker(network, worker_id), live(), runtime, ask=True)
    return worker, runtime


def test_a_worker_asks_at_start_and_shows_the_base_until_it_answers():
    network, master, master_live = distributed()
    master_live.replace({"seed": 4})
    worker, runtime = start_worker(network, "w1")
    assert master.workers() == {"w1": 0}
    network.deliver()  # the question, the answer, the acknowledgement
    assert master.workers() == {"w1": 1}
    assert [c.seed for c in runtime.configs] == [4]
    worker.wait_for_first_config()  # answered: returns at once


def test_a_change_reaches_every_worker_and_each_acknowledges():
    network, master, master_live = distributed()
    (_, one), (_, two) = start_worker(network, "w1"), start_worker(network, "w2")
    network.deliver()
    assert master.workers() == {"w1": 0, "w2": 0} and one.configs == two.configs == []  # the base: nothing to do
    master_live.replace({"clients": {"default": {"policy": {"name": "fixed"}}}})
    master.publish()
    network.deliver()
    assert master.workers() == {"w1": 1, "w2": 1}
    assert [c.profiles[0].policy_name for c in one.configs + two.configs] == ["fixed", "fixed"]


def test_a_new_run_resends_the_config_and_a_worker_that_has_it_changes_nothing():
    network, master, master_live = distributed()
    _, runtime = start_worker(network, "w1")
    master_live.replace({"seed": 2})
    master.publish()
    network.deliver()
    master.publish(environment=None)  # as a test_start listener
    network.deliver()
    assert len(runtime.configs) == 1 and master.workers() == {"w1": 1}


def test_only_connected_workers_are_listed():
    network, master, _ = distributed()
    start_worker(network, "w1")
    start_worker(network, "w2")
    network.deliver()
    del network.workers["w2"]
    assert master.workers() == {"w1": 0}


def test_a_worker_ignores_a_config_it_cannot_build_and_says_what_it_runs(caplog):
    network, master, master_live = distributed()
    _, runtime = start_worker(network, "w1")
    master_live.replace({"seed": 3})
    master.publish()
    network.deliver()
    # a patch its own base cannot take (the master checked it against the master's base)
    network.master.send_message(config_sync.CONFIG, {"generation": 2, "patch": {"clients": {"x": {"policy": {"name": "nope"}}}}})
    network.master.send_message(config_sync.CONFIG, None)  # not even a config
    with caplog.at_level(logging.ERROR, "loadgen"):
        network.deliver()
    assert len(runtime.configs) == 1 and master.workers() == {"w1": 1}
    assert "ignored config 2 from the master" in caplog.text
    assert "clients.x.policy.name: expected one of" in caplog.text
    assert "failed to apply config None from the master" in caplog.text


def test_a_local_runner_is_master_and_worker_to_itself():
    runner, shared, runtime = FakeLocal(None), live(), FakeRuntime()
    master = config_sync.Master(runner, shared, None)
    worker = config_sync.Worker(runner, shared, runtime, ask=False)
    assert master.workers() == {"local": 0}
    worker.wait_for_first_config()  # it has its config from the start
    shared.replace({"arrivals": {"requests_per_second": 3}})
    master.publish()
    assert master.workers() == {"local": 1} and [c.arrivals.requests_per_second for c in runtime.configs] == [3.0]


def test_clients_of_an_unanswered_worker_wait_a_bounded_time(monkeypatch, caplog):
    monkeypatch.setattr(config_sync, "FIRST_CONFIG_TIMEOUT", 0.05)
    network, _, _ = distributed()
    worker, _ = start_worker(network, "w1")  # its question is never delivered
    with caplog.at_level(logging.WARNING, "loadgen"):
        worker.wait_for_first_config()
    assert "no config from the master after 0.05s" in caplog.text
    caplog.clear()
    worker.wait_for_first_config()  # warned once; later clients do not wait again
    assert caplog.text == ""

