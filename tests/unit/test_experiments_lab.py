"""The lab changes the real proxy and real service replicas (in-process, over real HTTP) and
puts every change back, last first, whatever the order the changes came in; what it cannot
put back it says, and the rest still goes back."""

import pytest

from experiments.errors import ComponentError, StackError
from experiments.lab import Lab
from tests.unit.experiments_lab_support import FakeStack, lab_over_components


@pytest.fixture
def env():
    with lab_over_components() as env:
        yield env


def proxy_as_found(lab: Lab) -> dict:
    devices = {name: lab.proxy.device(name) for name in ("border", "dns-path", "side")}
    return {"devices": {name: found["config"] for name, found in devices.items() if found is not None},
            "links": {name: lab.proxy.link(name)["config"] for name in ("dns", "api")}}


def test_a_run_and_its_actions_are_undone_to_the_stack_as_found(env):
    lab, topology, loadgen, _ = env
    found, service_found = proxy_as_found(lab), lab.services.config("api")
    # the scenario's settings
    lab.patch_device("dns-path", {"connections": {"new_per_second": 1000}})  # not there: created
    lab.patch_device("border", {"connections": {"new_per_second": 50}})
    lab.patch_link("dns", {"device": "border", "upstream": "127.0.0.1:10"})
    lab.patch_service("api", {"capacity": {"workers": 8}})
    lab.configure_clients({"clients": {"internal": {"policy": {"name": "naive"}}}}, seed=7)
    lab.set_client_count(50)
    # the timeline's actions: a device added after the link was first changed, then the link
    # moved onto it (the device can only go once the link has moved back)
    lab.patch_device("side", {})
    lab.patch_link("dns", {"device": "side"})
    lab.patch_device("border", {"connections": {"new_per_second": 20}})
    lab.patch_service("api", {"mitigations": {"admission_control": {"enabled": True}}})
    lab.patch_clients({"policy": {"name": "none"}})
    assert topology.links["dns"].device is topology.devices["side"]
    assert lab.undo.steps() == [
        "restore api settings", "restore device border", "restore link dns", "remove device side",
        "restore the clients' config", "restore api settings", "restore link dns", "restore device border",
        "remove device dns-path",
    ]

    assert lab.restore() == []
    assert proxy_as_found(lab) == found and set(topology.devices) == {"border"}
    assert lab.services.config("api") == service_found
    assert loadgen.users == 0 and loadgen.patch == {}  # stopped, and back on the base config
    assert lab.client_count == 0 and len(lab.undo) == 0
    assert lab.restore() == []  # nothing left: only the clients are stopped again


def test_a_step_that_fails_is_reported_and_the_others_still_run(env):
    lab, _, loadgen, _ = env
    found = proxy_as_found(lab)
    lab.patch_device("border", {"connections": {"new_per_second": 50}})
    lab.configure_clients({"seed": 1}, seed=2)
    lab.patch_link("dns", {"upstream": "127.0.0.1:10"})
    loadgen.on("PUT", "/stormlab/config", (500, {"error": "broken on purpose"}))

    failures = lab.restore()
    assert len(failures) == 1
    assert failures[0].startswith("restore the clients' config: PUT ")
    assert failures[0].endswith("/stormlab/config answered 500: broken on purpose")
    assert proxy_as_found(lab) == found  # the link before it and the device after it went back
    assert lab.restore() == []  # a failed step is not tried again


def test_a_change_the_proxy_refuses_changes_nothing_and_leaves_nothing_to_undo_wrongly(env):
    lab, _, _, _ = env
    found = proxy_as_found(lab)
    with pytest.raises(ComponentError) as caught:
        lab.patch_device("border", {"downstream": {"bytes_per_second": -5}})
    assert caught.value.status == 400 and "expected a positive number, got -5" in str(caught.value)
    lab.patch_device("border", {"connections": {"new_per_second": 70}})  # read afresh: nothing is assumed
    assert lab.proxy.device("border")["config"]["connections"]["new_per_second"] == 70
    assert lab.restore() == []
    assert proxy_as_found(lab) == found


def test_a_fault_added_during_the_run_is_removed_on_restore(env):
    lab, _, _, _ = env
    found = proxy_as_found(lab)
    lab.patch_link("api", {"faults": {"drop": {"type": "reset", "probability": 0.5}}})
    assert "drop" in lab.proxy.link("api")["config"]["faults"]
    assert lab.restore() == []
    assert proxy_as_found(lab) == found  # a merge patch of the old config alone would keep the fault


def test_a_device_created_then_changed_is_simply_removed(env):
    lab, topology, _, _ = env
    lab.patch_device("side", {"connections": {"new_per_second": 10}})
    lab.patch_device("side", {"connections": {"new_per_second": 20}})
    assert topology.devices["side"].config is not None
    assert lab.undo.steps() == ["remove device side"]
    assert lab.restore() == [] and "side" not in topology.devices


def test_a_device_that_could_not_be_created_is_not_an_error_to_remove(env):
    lab, topology, _, _ = env
    with pytest.raises(ComponentError, match="400"):
        lab.patch_device("side", {"connections": {"new_per_second": -1}})
    assert "side" not in topology.devices
    assert lab.restore() == []


def test_the_membership_announced_is_the_replicas_under_a_new_version(env):
    lab, _, _, _ = env
    first = lab.announce_membership("api")
    assert lab.announce_membership("api") == first + 1
    assert lab.stack.services.calls[-1] == ("dns", "PUT", "/admin/membership/api", {
        "endpoints": [{"replica": "a1", "address": "10.0.0.5:8080"}], "republish": True})
    assert len(lab.undo) == 0  # a membership only moves forward


def test_a_service_under_tests_link_is_created_then_removed(env):
    lab, topology, _, _ = env
    lab.put_link("own", {"listen_port": 0, "upstream": "127.0.0.1:9", "device": "border", "protocol": "http"})
    assert topology.links["own"].config.upstream == "127.0.0.1:9"
    assert lab.undo.steps() == ["remove link own"]
    assert lab.restore() == []
    assert "own" not in topology.links and lab.proxy.link("own", missing_ok=True) is None


def test_a_service_under_tests_link_the_proxy_has_is_changed_then_put_back(env):
    lab, topology, _, _ = env
    found = lab.proxy.link("api")["config"]
    lab.put_link("api", {"upstream": "127.0.0.1:10", "protocol": "http"})
    assert topology.links["api"].config.upstream == "127.0.0.1:10"
    assert lab.restore() == []
    assert lab.proxy.link("api")["config"] == found


def test_the_kernel_device_cannot_create_a_link_and_says_so():
    with lab_over_components("kernel") as (lab, _, _, _):
        with pytest.raises(StackError, match="the kernel device cannot create link 'own': its links are fixed"):
            lab.put_link("own", {"listen_port": 18099, "upstream": "127.0.0.1:9"})
        assert len(lab.undo) == 0


def test_a_component_whose_port_is_not_published_is_named():
    with pytest.raises(StackError, match="loadgen's port 8089 is not published in project 'fake'"):
        Lab(FakeStack({"proxy": "http://127.0.0.1:9", "prometheus": "http://127.0.0.1:9"}, services=None))


def test_on_the_kernel_device_what_it_lacks_is_left_out_and_named_and_the_rest_applied():
    with lab_over_components("kernel") as (lab, state, _, _):
        assert lab.device_kind == "kernel"
        lab.patch_device("border", {"connections": {"new_per_second": 50, "backlog": 4096, "setup_cost_bytes": 4000,
                                                    "on_overflow": "reset"}})
        lab.patch_link("dns", {"faults": {"latency": {"seconds": 0.2}}})  # all of it left out: no call
        lab.patch_link("api", {"faults": {"latency": None}, "upstream": "127.0.0.1:10"})
        assert state.devices["border"].connections.new_per_second == 50
        assert state.devices["border"].connections.backlog == 0  # the one way the kernel resets
        assert state.devices["border"].connections.setup_cost_bytes == 0
        assert state.links["api"].upstream == "127.0.0.1:10"
        assert len(lab.left_out) == 3
        backlog, cost, latency = lab.left_out
        assert backlog.startswith("devices.border.connections.backlog = 0 for on_overflow reset: with a backlog")
        assert cost.startswith("devices.border.connections.setup_cost_bytes = 4000 left out: the kernel's")
        assert latency.startswith("links.dns.faults.latency left out: the kernel device injects no faults")
        lab.patch_device("border", {"connections": {"setup_cost_bytes": 4000}})
        assert len(lab.left_out) == 3  # each named once
        assert lab.restore() == []
        assert state.devices["border"].connections.new_per_second == 100
        assert state.links["api"].upstream == "127.0.0.1:9"


def test_on_the_proxy_nothing_is_left_out(env):
    lab, topology, _, _ = env
    assert lab.device_kind == "proxy"
    lab.patch_device("border", {"connections": {"backlog": 64}})
    assert topology.devices["border"].config.connections.backlog == 64 and lab.left_out == []


def test_a_device_asked_for_that_the_stack_does_not_run_is_refused_before_anything_changes(monkeypatch):
    monkeypatch.setenv("STORMLAB_DEVICE", "kernel")
    refusal = (r"stack 'fake' runs the proxy device but STORMLAB_DEVICE \(make's DEVICE\) asks for the kernel "
               r"one: `make down`, then `make up DEVICE=kernel`")
    with pytest.raises(StackError, match=refusal), lab_over_components():
        pass


def test_the_device_asked_for_is_taken(monkeypatch):
    monkeypatch.setenv("STORMLAB_DEVICE", "kernel")
    with lab_over_components("kernel") as (lab, _, _, _):
        assert lab.device_kind == "kernel"
