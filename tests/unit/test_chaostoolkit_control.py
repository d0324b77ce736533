"""The extension's control: the lab prepared before the experiment (device, clients' config,
clients started, a warm-up), an experiment interrupted when it cannot be, and the clean-up
after it, whatever the rollbacks did."""

import time

import pytest

from tests.unit.chaostoolkit_support import fake_stack

from chaoslib.exceptions import InterruptExecution  # isort: skip  (after the skip if not installed)
from chaosstormlab import actions, control  # isort: skip


@pytest.fixture
def stack():
    with fake_stack() as found:
        yield found


LAB = {
    "devices": {"border": {"connections": {"new_per_second": 100}}, "dns-path": {}},
    "links": {"dns": {"device": "dns-path"}},
    "clients": {"count": 50, "spawn_rate": 50, "seed": 7,
                "config": {"clients": {"internal": {"policy": {"name": "naive"}}}}},
}


def test_the_lab_is_prepared_then_warmed_up(stack):
    started = time.monotonic()
    control.before_experiment_control(None, **LAB, warmup_seconds=0.2, configuration=stack.configuration)
    assert time.monotonic() - started >= 0.2
    assert stack.proxy.called("PATCH", "/devices/border")[0].body == {"connections": {"new_per_second": 100}}
    assert stack.proxy.called("POST", "/devices")[0].body == {"name": "dns-path"}  # created, as a scenario's
    assert stack.proxy.called("PATCH", "/links/dns")[0].body == {"device": "dns-path"}
    assert stack.loadgen.called("PUT", "/stormlab/config")[0].body == {
        "clients": {"sdk": None, "internal": {"policy": {"name": "naive"}}}, "seed": 7}
    assert stack.loadgen.called("POST", "/swarm")[0].body == {"user_count": "50", "spawn_rate": "50"}


def test_the_warm_up_is_scaled_as_the_runners_never_below_ten_seconds(stack):
    from chaosstormlab.settings import settings_from

    settings = settings_from({"stormlab_time_scale": 0.5})
    assert control.warmup_wait(30, None, settings) == 15
    assert control.warmup_wait(16, None, settings) == 10
    assert control.warmup_wait(16, 1.0, settings) == 16
    assert control.warmup_wait(4, None, settings) == 4


def test_clients_left_running_are_stopped_before_the_lab_starts(stack):
    stack.loadgen.users = 200
    control.before_experiment_control(None, clients={"count": 50}, warmup_seconds=0.01,
                                      configuration=stack.configuration)
    assert stack.loadgen.called("POST", "/stop") and stack.loadgen.users == 50


def test_a_lab_that_cannot_be_prepared_interrupts_the_experiment(stack):
    stack.proxy.refusal = (409, {"error": "burst below the chunk size", "problems": ["connections.x: bad"]})
    with pytest.raises(InterruptExecution, match=r"stormlab control: could not prepare the lab: the proxy's "
                                                 r"admin API refused PATCH /devices/border \(HTTP 409\)"):
        control.before_experiment_control(None, **LAB, warmup_seconds=0, configuration=stack.configuration)
    assert stack.loadgen.called("POST", "/swarm") == []  # no client started on a lab half made


@pytest.mark.parametrize("clients, refused", [
    ({"count": 0}, r"clients.count: expected a whole number of clients from 1 to 2000, got 0"),
    ({"count": 5, "rate": 3}, r"clients: unknown key\(s\) rate; expected some of count, spawn_rate"),
    ({"count": 5, "spawn_rate": -1}, r"clients.spawn_rate: expected a number of clients per second > 0"),
])
def test_bad_clients_are_refused_before_anything_changes(stack, clients, refused):
    with pytest.raises(InterruptExecution, match=refused):
        control.before_experiment_control(None, clients=clients, configuration=stack.configuration)
    assert stack.loadgen.calls == []


def test_after_the_experiment_the_clients_stop_and_what_is_left_is_put_back(stack):
    control.before_experiment_control(None, **LAB, warmup_seconds=0.01, configuration=stack.configuration)
    control.after_experiment_control(None, state={}, **LAB, configuration=stack.configuration)
    assert stack.loadgen.users == 0
    assert stack.proxy.links["dns"]["device"] == "border" and "dns-path" not in stack.proxy.devices
    assert stack.proxy.devices["border"]["connections"].get("new_per_second") is None  # nulled: its default
    assert stack.loadgen.called("PUT", "/stormlab/config")[-1].body == {}


def test_after_rollbacks_that_put_everything_back_nothing_is_sent_again(stack):
    control.before_experiment_control(None, **LAB, warmup_seconds=0.01, configuration=stack.configuration)
    actions.restore_proxy(configuration=stack.configuration)
    actions.restore_clients_config(configuration=stack.configuration)
    changes_before = len(stack.proxy.calls), len(stack.loadgen.called("PUT"))
    control.after_experiment_control(None, configuration=stack.configuration)
    assert len(stack.proxy.called("PATCH", "/links/dns")) == 2
    assert len(stack.loadgen.called("PUT")) == changes_before[1]


def test_restore_false_leaves_the_lab_to_look_at(stack):
    control.before_experiment_control(None, **LAB, warmup_seconds=0.01, configuration=stack.configuration)
    control.after_experiment_control(None, restore=False, configuration=stack.configuration)
    assert stack.loadgen.users == 0 and stack.proxy.links["dns"]["device"] == "dns-path"


def test_the_clean_up_warns_and_never_raises(caplog):
    control.after_experiment_control(None, configuration={"stormlab_loadgen_url": "http://127.0.0.1:9"})
    assert "stormlab control: after the experiment: cannot reach the load generator" in caplog.text


def test_the_lab_waits_for_the_previous_runs_traffic_to_drain(stack, monkeypatch, caplog):
    stack.prometheus.values.update({"stormlab_proxy_waiting_connections": 12.0,
                                    "stormlab_client_in_flight_requests": 3.0})
    monkeypatch.setattr(control, "DRAIN_TIMEOUT", 0.3)
    monkeypatch.setattr(control, "DRAIN_POLL", 0.1)
    control.before_experiment_control(None, clients={"count": 5}, warmup_seconds=0.01,
                                      configuration=stack.configuration)
    assert "the stack did not drain in 0.3 s (12 attempts waiting at the device, 3 requests in flight); " \
           "starting anyway" in caplog.text
    assert stack.loadgen.users == 5  # started all the same, as the runner does
