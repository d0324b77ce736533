"""The workers the master knows, on a fake wall clock: only the connected ones, each with what
it advertised and when it was last heard from; the gone ones forgotten."""

from loadgen.worker_registry import WorkerRegistry, WorkerSeen


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def test_each_connected_worker_with_its_address_and_last_announcement():
    clock = Clock()
    registry = WorkerRegistry(clock)
    registry.heard("remote", "192.168.1.31:9646")
    clock.now = 1001.5
    registry.heard("in-stack", None)
    assert registry.workers(["in-stack", "remote", "new"]) == [
        WorkerSeen("in-stack", None, 1001.5), WorkerSeen("remote", "192.168.1.31:9646", 1000.0),
        WorkerSeen("new", None, None)]  # connected, not heard from yet


def test_a_later_announcement_replaces_the_earlier():
    clock = Clock()
    registry = WorkerRegistry(clock)
    registry.heard("w", "10.0.0.2:9646")
    clock.now = 1002.0
    registry.heard("w", "10.0.0.2:9700")
    assert registry.workers(["w"]) == [WorkerSeen("w", "10.0.0.2:9700", 1002.0)]


def test_a_worker_no_longer_connected_is_forgotten_and_comes_back_unknown():
    registry = WorkerRegistry(Clock())
    registry.heard("gone", "10.0.0.2:9646")
    registry.heard("kept", "10.0.0.3:9646")
    assert [seen.id for seen in registry.workers(["kept"])] == ["kept"]
    assert registry.workers(["gone", "kept"])[0] == WorkerSeen("gone", None, None)


def test_memory_stays_bounded_however_many_workers_came_and_went():
    registry = WorkerRegistry(Clock())
    for n in range(10_000):
        registry.heard(f"w{n}", None)
        registry.workers([f"w{n}"])
    assert len(registry._heard) == 1
