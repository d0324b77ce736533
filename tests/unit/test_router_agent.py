"""The router's control API over a fake kernel: the proxy's routes, shapes and statuses; knobs
the kernel lacks refused with a 400 that names them; a kernel refusal changes nothing."""

from __future__ import annotations

import asyncio
import threading

import pytest
from prometheus_client import CollectorRegistry

from router.agent import make_agent_app
from router.kernel import Reading
from router.metrics import register_router_metrics
from router.ruleset import Count
from router.traffic_control import ClassCounters
from tests.unit.test_router_fakes import started_state


@pytest.fixture
async def agent(aiohttp_client):
    state = started_state()
    registry = CollectorRegistry()
    register_router_metrics(registry, state)
    return await aiohttp_client(make_agent_app(state, registry)), state


async def json_of(response, status):
    assert response.status == status, await response.text()
    return await response.json()


async def test_health_lists_and_reads_in_the_proxys_shapes(agent):
    client, _ = agent
    assert await json_of(await client.get("/healthz"), 200) == {"status": "ok", "kind": "kernel", "devices": 2, "links": 2}
    devices = await json_of(await client.get("/devices"), 200)
    assert [device["name"] for device in devices] == ["border", "dns-path"]
    border = await json_of(await client.get("/devices/border"), 200)
    assert set(border) == {"name", "config", "effective", "state", "links"}
    assert border["links"] == ["api", "dns"]
    assert border["config"]["connections"]["backlog"] == 1024  # the proxy's default: a setup queue once rated
    assert border["state"]["waiting_connections"] == 0 and border["state"]["setup_queue"] is None
    link = await json_of(await client.get("/links/api"), 200)
    assert link["config"]["upstream"] == "api:8080" and link["state"]["upstream_address"] == "10.0.2.10"


async def test_a_device_change_goes_to_the_kernel_and_reads_back(agent):
    client, state = agent
    body = {"downstream": {"bytes_per_second": 1e6}, "connections": {"new_per_second": 200, "max_active": 50}}
    device = await json_of(await client.patch("/devices/border", json=body), 200)
    assert device["config"]["downstream"]["bytes_per_second"] == 1e6
    assert device["effective"]["connections"]["new_burst"] == 10
    assert device["state"]["downstream"]["shaping"]["rate_bytes_per_second"] == 1000000
    applied = state.kernel.applied[-1]
    assert applied.devices["border"].connections.max_active == 50


async def test_moving_a_link_applies_and_reads_back(agent):
    client, state = agent
    link = await json_of(await client.patch("/links/dns", json={"device": "dns-path"}), 200)
    assert link["config"]["device"] == "dns-path"
    assert (await json_of(await client.get("/devices/dns-path"), 200))["links"] == ["dns"]
    assert state.kernel.applied[-1].links["dns"].device == "dns-path"


@pytest.mark.parametrize("body,field", [
    ({"connections": {"setup_cost_bytes": 1500}}, "connections.setup_cost_bytes"),
    ({"connections": {"new_per_second": 10, "on_overflow": "reset"}}, "connections.on_overflow"),
    # htb's rate is 32 bits: a setup queue (1000 bytes a SYN) over 4,294,967 setups/s, a direction over 4.29 GB/s
    ({"connections": {"new_per_second": 5_000_000, "backlog": 17209}}, "connections.new_per_second"),
    ({"downstream": {"bytes_per_second": 5e9}}, "downstream.bytes_per_second"),
    ({"downstream": {"buffer_bytes": 71474107146}}, "downstream.buffer_bytes"),  # a fifo's limit is 32 bits
    ({"upstream": {"bytes_per_second": 0.4}}, "upstream.bytes_per_second"),
    ({"connections": {"new_per_second": 1e-6}}, "connections.new_per_second"),
])
async def test_device_knobs_without_a_kernel_mechanism_are_refused_by_name(agent, body, field):
    client, state = agent
    applied = len(state.kernel.applied)
    error = await json_of(await client.patch("/devices/border", json=body), 400)
    assert error["error"] == "change to device 'border' refused (1 problem); nothing changed"
    (problem,) = error["problems"]
    assert problem.startswith(f"{field}: ") and ("kernel" in problem or "nftables" in problem or "tc" in problem)
    assert len(state.kernel.applied) == applied


async def test_null_or_the_kernels_own_value_for_a_refused_knob_is_taken(agent):
    client, _ = agent
    body = {"connections": {"setup_cost_bytes": None, "new_per_second": 10}}
    device = await json_of(await client.patch("/devices/border", json=body), 200)
    assert device["config"]["connections"]["setup_cost_bytes"] == 0  # null: the default, which is the kernel's
    body = {"connections": {"setup_cost_bytes": 0, "on_overflow": "reset", "backlog": 0}}
    device = await json_of(await client.patch("/devices/border", json=body), 200)
    assert device["config"]["connections"]["on_overflow"] == "reset"  # no queue: a SYN over the rate is reset


async def test_a_backlog_reads_back_as_the_setup_queue_the_kernel_holds(agent):
    client, state = agent
    body = {"connections": {"new_per_second": 100, "new_burst": 20, "backlog": 4096, "backlog_timeout_seconds": 2}}
    device = await json_of(await client.patch("/devices/border", json=body), 200)
    assert device["state"]["setup_queue"] == {"interface": "eth1", "setups_per_second": 100.0, "burst": 20,
                                              "limit": 200, "passed": 0, "dropped": 0}
    assert state.kernel.applied[-1].devices["border"].connections.backlog == 4096


@pytest.mark.parametrize("body,field", [
    ({"faults": {"slow": {"type": "latency", "latency_seconds": 0.05}}}, "faults.slow"),
    ({"protocol": "http"}, "protocol"),
    ({"listen_port": 0}, "listen_port"),
])
async def test_link_knobs_without_a_kernel_mechanism_are_refused_by_name(agent, body, field):
    client, _ = agent
    error = await json_of(await client.patch("/links/api", json=body), 400)
    assert error["error"] == "change to link 'api' refused (1 problem); nothing changed"
    assert error["problems"][0].startswith(f"{field}: the kernel device")


@pytest.mark.parametrize("body,status,text", [
    ({"device": "nowhere"}, 409, "device: unknown device 'nowhere'; defined devices: border, dns-path"),
    ({"upstream": "svc:0"}, 409, "upstream: expected a port in 1..65535, got 0"),
    ({"upstream": None}, 400, "upstream: required key is missing"),
    ({"listen_port": 8053}, 409, "listen_port 8053 is used by more than one link (api, dns)"),
    ({"listen_port": 8474}, 409, "the agent's admin port"),
    ({"ghost": 1}, 400, "ghost: unknown key; expected one of:"),
])
async def test_bad_link_changes_get_the_proxys_statuses(agent, body, status, text):
    client, state = agent
    before = state.links["api"]
    error = await json_of(await client.patch("/links/api", json=body), status)
    assert any(text in problem for problem in error.get("problems", [error["error"]])), error
    assert state.links["api"] == before


async def test_a_device_that_cannot_queue_a_packet_is_a_conflict(agent):
    client, _ = agent
    error = await json_of(await client.patch("/devices/border", json={"upstream": {"buffer_bytes": 1000}}), 409)
    assert error["problems"] == ["upstream.buffer_bytes: expected at least one chunk (65536 bytes), got 1000"]


async def test_unknown_names_bad_bodies_and_wrong_methods(agent):
    client, _ = agent
    assert await json_of(await client.get("/links/nope"), 404) == {"error": "unknown link 'nope'",
                                                                   "known": ["api", "dns"]}
    error = await json_of(await client.patch("/devices/border", json=[1, 2]), 400)
    assert error == {"error": "request body refused (1 problem); nothing changed", "problems": [
        '(body): expected a JSON object, e.g. {"downstream": {"bytes_per_second": 1000000}}, got a JSON array']}
    error = await json_of(await client.patch("/devices/border", data="x", headers={"Content-Type": "text/plain"}),
                          415)
    assert error["accepted"] == ["application/merge-patch+json", "application/json"]
    error = await json_of(await client.patch("/devices/border", data=b"{" * 70000,
                                             headers={"Content-Type": "application/json"}), 413)
    assert error["max_bytes"] == 65536
    refused = await client.put("/devices/border", json={})
    assert refused.status == 405 and refused.headers["Allow"] == "DELETE, GET, HEAD, PATCH"
    assert (await json_of(await client.post("/links", json={}), 405))["allowed_methods"] == ["GET", "HEAD"]


async def test_devices_are_created_and_deleted_as_at_the_proxy_and_keep_their_numbers(agent):
    client, state = agent
    before = state.numbering.class_id("border"), state.numbering.class_id("dns-path")
    body = {"name": "side", "connections": {"new_per_second": 50, "backlog": 100}}
    created = await json_of(await client.post("/devices", json=body), 201)
    assert created["name"] == "side" and created["state"]["setup_queue"]["setups_per_second"] == 50
    assert (state.numbering.class_id("border"), state.numbering.class_id("dns-path")) == before
    assert state.numbering.setup_class_id("side") == 0x11002  # the next number
    assert state.kernel.applied[-1].devices["side"].connections.new_per_second == 50
    again = await json_of(await client.post("/devices", json={"name": "side"}), 409)
    assert again["error"] == "device 'side' already exists; PATCH it to change it"
    bad = await json_of(await client.post("/devices", json={"name": "x", "connections": {"setup_cost_bytes": 5}}), 400)
    assert bad["error"] == "new device 'x' refused (1 problem); nothing created"
    assert bad["problems"][0].startswith("connections.setup_cost_bytes: the kernel's connection setup work")
    assert (await json_of(await client.post("/devices", json={"connections": {}}), 400))["error"].startswith(
        "new device refused")
    await json_of(await client.patch("/links/dns", json={"device": "side"}), 200)
    used = await json_of(await client.delete("/devices/side"), 409)
    assert used["error"] == "device 'side' is used by links dns; move them first"
    await json_of(await client.patch("/links/dns", json={"device": "border"}), 200)
    assert (await client.delete("/devices/side")).status == 204
    assert "side" not in state.devices and "side" not in state.kernel.applied[-1].devices
    assert (await json_of(await client.delete("/devices/side"), 404))["known"] == ["border", "dns-path"]
    await json_of(await client.post("/devices", json={"name": "side"}), 201)
    assert state.numbering.class_id("side") == 0x10012  # its own number again, no one else's


async def test_a_kernel_refusal_says_what_the_kernel_said_and_changes_nothing(agent):
    client, state = agent
    state.kernel.refusal = "Could not process rule: Invalid argument"
    error = await json_of(await client.patch("/links/dns", json={"device": "dns-path"}), 500)
    assert error["kernel"] == "Could not process rule: Invalid argument"
    assert "nothing changed" in error["error"]
    assert state.links["dns"].device == "border"
    state.kernel.refusal = None
    assert (await json_of(await client.get("/links/dns"), 200))["config"]["device"] == "border"


async def test_metrics_read_the_kernels_counters_under_the_proxys_names(agent):
    client, state = agent
    await json_of(await client.patch("/devices/border", json={"upstream": {"bytes_per_second": 1e6},
                                                              "connections": {"new_per_second": 100}}), 200)
    class_id = state.numbering.class_id("border")
    state.kernel.reading = Reading(
        counters={"link:api:border:accepted": Count(90, 5400), "link:api:border:refused:setup_rate": Count(10, 600),
                  "link:api:border:upstream": Count(300, 123456), "device:border:accepted": Count(90, 5400)},
        classes={("eth1", class_id): ClassCounters(bytes=1000, packets=10, drops=3, backlog_bytes=4500)},
        active_by_mark={state.numbering.link_mark("api"): 7})
    text = await (await client.get("/metrics")).text()
    for line in [
        'stormlab_proxy_connection_attempts_total{device="border",link="api",outcome="accepted",reason="admitted"} 90.0',
        'stormlab_proxy_connection_attempts_total{device="border",link="api",outcome="refused",reason="setup_rate"} 10.0',
        'stormlab_proxy_connection_arrivals_total{device="border",link="api"} 100.0',
        'stormlab_proxy_bytes_total{device="border",direction="upstream",link="api"} 123456.0',
        'stormlab_proxy_active_connections{device="border",link="api"} 7.0',
        'stormlab_proxy_buffered_bytes{device="border",direction="upstream"} 4500.0',
        'stormlab_router_queue_dropped_packets_total{device="border",direction="upstream"} 3.0',
        'stormlab_proxy_limit_new_connections_per_second{device="border"} 100.0',
        'stormlab_proxy_limit_bytes_per_second{device="border",direction="upstream"} 1e+06',
        'stormlab_proxy_link_info{device="border",link="api",target="api:8080"} 1.0',
    ]:
        assert line in text, line
    only = await (await client.get("/metrics", params={"name[]": "stormlab_proxy_active_connections"})).text()
    assert "stormlab_proxy_active_connections{" in only and "attempts" not in only


async def test_metrics_read_the_kernel_off_the_event_loop(agent):
    """pyroute2 0.8 and later refuse a blocking IPRoute inside a running loop (a 500 once)."""
    client, state = agent
    threads = []

    class ReadOffTheLoop(type(state.kernel)):
        def classes(self):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                threads.append(threading.current_thread().name)
                return super().classes()
            raise RuntimeError("read the kernel inside the running event loop")

    state.kernel.__class__ = ReadOffTheLoop
    response = await client.get("/metrics")
    assert response.status == 200, await response.text()
    assert threads and threads[0] != threading.main_thread().name
