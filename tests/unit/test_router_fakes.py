"""A kernel for the router's unit tests: it takes what the real one takes (it builds the real
ruleset and tc plan from every change, so a change they cannot express fails here too),
refuses on demand with a message, and answers readings set by the test."""

from __future__ import annotations

from router.config import config_from_dict
from router.errors import KernelRefused
from router.kernel import Reading
from router.ruleset import Count, Topology, build_ruleset
from router.state import RouterState
from router.traffic_control import plan_traffic_control

LINKS = {"api": {"listen_port": 8081, "upstream": "api:8080", "device": "border"},
         "dns": {"listen_port": 8053, "upstream": "dns:8080", "device": "border"}}
ADDRESSES = {"api": "10.0.2.10", "dns": "10.0.2.11", "kv": "10.0.2.12"}


class FakeKernel:
    def __init__(self):
        self.applied: list[Topology] = []
        self.refusal: str | None = None
        self.reading = Reading(counters={}, classes={}, active_by_mark={})

    def apply(self, new: Topology, old: Topology | None) -> None:
        ruleset, plan = build_ruleset(new), plan_traffic_control(new.devices, new.numbering, new.interfaces)
        if self.refusal:
            raise KernelRefused(self.refusal)
        self.applied.append(new)
        self.last = ruleset, plan

    def read(self) -> Reading:
        return self.reading

    def counters(self) -> dict[str, Count]:
        return self.reading.counters

    def classes(self):
        return self.reading.classes

    def active_by_mark(self):
        return self.reading.active_by_mark


def started_state(devices: dict | None = None, links: dict | None = None) -> RouterState:
    config = config_from_dict({"devices": devices or {"border": {}, "dns-path": {}},
                               "links": LINKS if links is None else links,
                               "interfaces": {"clients": "eth0", "services": "eth1"}})
    state = RouterState(config, FakeKernel(), resolve=lambda host: ADDRESSES.get(host, "10.0.2.99"))
    state.start()
    return state


def test_the_fake_kernel_takes_the_start_and_refuses_on_demand():
    state = started_state()
    assert len(state.kernel.applied) == 1 and state.started
    state.kernel.refusal = "Error: Could not process rule: Invalid argument"
    try:
        state.update_device("border", {"upstream": {"bytes_per_second": 1000}})
    except KernelRefused as exc:
        assert "Invalid argument" in str(exc)
    else:
        raise AssertionError("the refusal did not surface")
    assert state.devices["border"].upstream.bytes_per_second is None
