"""The control API: create, read, change and delete devices and links live; bad input gets a
clear 4xx and leaves the previous configuration in force."""

import pytest

from proxy.admin import make_admin_app
from tests.unit.loadgen_support import free_port
from tests.unit.proxy_support import running_proxy


@pytest.fixture
async def admin(aiohttp_client):
    async with running_proxy({"api": {"upstream": "127.0.0.1:9"}}) as (topology, registry):
        yield await aiohttp_client(make_admin_app(topology, registry)), topology


async def json_of(response, status):
    assert response.status == status, await response.text()
    return await response.json()


async def test_health_lists_and_reads(admin):
    client, _ = admin
    assert await json_of(await client.get("/health"), 200) == {"status": "ok", "kind": "proxy", "devices": 1, "links": 1}
    (device,) = await json_of(await client.get("/devices"), 200)
    assert device["name"] == "border" and device["links"] == ["api"]
    assert device["state"]["active_connections"] == 0
    link = await json_of(await client.get("/links/api"), 200)
    assert link["config"]["upstream"] == "127.0.0.1:9" and link["state"]["listen_port"] > 0


async def test_create_patch_and_delete_a_device(admin):
    client, topology = admin
    body = {"name": "dns-path", "downstream": {"bytes_per_second": 1e6}}
    created = await json_of(await client.post("/devices", json=body), 201)
    assert created["effective"]["downstream"]["bytes_per_second"] == 1e6
    patched = await json_of(await client.patch("/devices/dns-path", json={
        "downstream": {"bytes_per_second": 2e6}, "connections": {"max_active": 10}}), 200)
    assert patched["config"]["downstream"]["bytes_per_second"] == 2e6
    assert topology.devices["dns-path"].table.limits.max_active == 10
    # null removes a key: back to the default (unlimited)
    patched = await json_of(await client.patch("/devices/dns-path", json={"connections": {"max_active": None}}), 200)
    assert patched["effective"]["connections"]["max_active"] is None
    assert (await client.delete("/devices/dns-path")).status == 204
    assert "dns-path" not in topology.devices


async def test_moving_a_link_to_another_device_live(admin):
    client, topology = admin
    await json_of(await client.post("/devices", json={"name": "side"}), 201)
    moved = await json_of(await client.patch("/links/api", json={"device": "side"}), 200)
    assert moved["config"]["device"] == "side"
    assert topology.links["api"].device is topology.devices["side"]
    conflict = await json_of(await client.delete("/devices/side"), 409)
    assert "used by links api" in conflict["error"]


@pytest.mark.parametrize("body,status,problem", [
    ({"downstream": {"bytes_per_second": -5}}, 400,
     "downstream.bytes_per_second: expected a positive number, got -5"),
    ({"downstream": {"bytes_per_second": "fast"}}, 400,
     "downstream.bytes_per_second: expected a number or null, got 'fast'"),
    # well formed, but not with the chunk size in force: a conflict with the state
    ({"upstream": {"burst_bytes": 100}}, 409,
     "upstream.burst_bytes: expected at least one chunk (65536 bytes), got 100"),
    ({"colour": "red"}, 400, "colour: unknown key; expected one of: connections, downstream, upstream"),
    ({"connections": {"on_overflow": "explode"}}, 400,
     "connections.on_overflow: expected one of 'refuse', 'reset', got 'explode'"),
])
async def test_bad_device_changes_are_refused_and_change_nothing(admin, body, status, problem):
    client, topology = admin
    before = topology.devices["border"].config
    error = await json_of(await client.patch("/devices/border", json=body), status)
    assert problem in error["problems"], error
    if status == 400:  # the request is what is wrong, not the device
        assert error["error"] == "change to device 'border' refused (1 problem); nothing changed"
    assert topology.devices["border"].config == before


@pytest.mark.parametrize("body,status,text", [
    ({"device": "nowhere"}, 409, "device: unknown device 'nowhere'; defined devices: border"),
    ({"upstream": 5}, 400, "upstream: expected a string, got 5"),
    ({"upstream": "svc:0"}, 409, "upstream: expected a port in 1..65535, got 0"),
    ({"upstream": None}, 400, "upstream: required key is missing"),
    ({"faults": {"f": {"type": "latency"}}}, 400, "faults.f.latency_seconds: required key is missing"),
    ({"faults": {"f": {"type": "http_error", "probability": 0.5}}}, 409, "needs protocol: http"),
    ({"faults": {"f": {"type": "teleport"}}}, 400, "faults.f.type: expected one of"),
    ({"faults": None, "ghost": None}, 400, "ghost: unknown key; expected one of:"),
])
async def test_bad_link_changes_are_refused_and_change_nothing(admin, body, status, text):
    client, topology = admin
    before = topology.get_link("api")
    error = await json_of(await client.patch("/links/api", json=body), status)
    assert any(text in problem for problem in error.get("problems", [error["error"]])), error
    assert topology.get_link("api")["config"] == before["config"]


async def test_unknown_names_malformed_bodies_and_wrong_methods(admin):
    client, _ = admin
    error = await json_of(await client.get("/links/nope"), 404)
    assert error == {"error": "unknown link 'nope'", "known": ["api"]}
    error = await json_of(await client.patch("/devices/border", data="{not json",
                                             headers={"Content-Type": "application/json"}), 400)
    assert "not valid JSON" in error["problems"][0]
    error = await json_of(await client.patch("/devices/border", json=[1, 2]), 400)
    assert error == {"error": "request body refused (1 problem); nothing changed", "problems": [
        '(body): expected a JSON object, e.g. {"downstream": {"bytes_per_second": 1000000}}, got a JSON array']}
    error = await json_of(await client.post("/links", json={"listen_port": 0, "upstream": "a:1"}), 400)
    assert error == {"error": "new link refused (1 problem); nothing created",
                     "problems": ["name: required key is missing"]}
    refused = await client.put("/devices/border", json={})
    assert refused.status == 405 and refused.headers["Allow"] == "DELETE, GET, HEAD, PATCH"
    assert (await refused.json())["allowed_methods"] == ["DELETE", "GET", "HEAD", "PATCH"]
    await json_of(await client.post("/devices", json={"name": "border"}), 409)


async def test_a_link_on_a_port_in_use_is_a_conflict_and_the_old_one_stays(admin):
    client, topology = admin
    await json_of(await client.post("/links", json={"name": "dns", "listen_port": 0, "upstream": "127.0.0.1:9"}), 201)
    taken = topology.links["dns"].port
    error = await json_of(await client.patch("/links/api", json={"listen_port": taken}), 409)
    assert f"cannot listen on port {taken}" in error["error"]
    assert topology.links["api"].port != taken
    port = free_port()  # a fixed number could be some benchmark's connection's, still in TIME-WAIT
    await json_of(await client.patch("/links/dns", json={"listen_port": port}), 200)
    error = await json_of(await client.patch("/links/api", json={"listen_port": port}), 409)
    assert error["error"] == f"links: listen_port {port} is used by more than one link (api, dns)"


async def test_settings_change_live_and_are_checked_against_devices(admin):
    client, topology = admin
    await json_of(await client.patch("/devices/border", json={"downstream": {"burst_bytes": 65536}}), 200)
    error = await json_of(await client.patch("/settings", json={"chunk_bytes": 131072}), 409)
    assert ("devices.border.downstream.burst_bytes: expected at least one chunk (131072 bytes), got 65536"
            in error["problems"])
    assert topology.settings.chunk_bytes == 65536
    settings = await json_of(await client.patch("/settings", json={"connect_timeout_seconds": 0.5}), 200)
    assert settings == {"chunk_bytes": 65536, "connect_timeout_seconds": 0.5, "resolve_ttl_seconds": 1.0}
    settings = await json_of(await client.patch("/settings", json={"connect_timeout_seconds": None}), 200)
    assert settings["connect_timeout_seconds"] == 2.0  # null: back to the default


async def test_counters_reset_and_metrics(admin):
    client, topology = admin
    topology.links["api"].stats["accepted"] = 5
    assert (await client.post("/counters/reset")).status == 204
    assert topology.links["api"].stats["accepted"] == 0
    text = await (await client.get("/metrics")).text()
    assert 'stormlab_proxy_link_info{device="border",link="api",target="127.0.0.1:9"} 1.0' in text
    assert 'stormlab_proxy_limit_buffer_bytes{device="border",direction="downstream"}' in text
    # every count a link can make is there at 0 before anything happened
    assert 'stormlab_proxy_upstream_connect_failures_total{device="border",link="api",reason="unresolvable"} 0.0' in text
    assert 'stormlab_proxy_connection_arrivals_total{device="border",link="api"} 0.0' in text

    # ?name[]= narrows the answer to the named metrics (the runner's burst probe reads one counter)
    only = await (await client.get("/metrics", params={"name[]": "stormlab_proxy_link_info"})).text()
    assert 'stormlab_proxy_link_info{device="border",link="api",target="127.0.0.1:9"} 1.0' in only
    assert "stormlab_proxy_limit_buffer_bytes" not in only and "stormlab_proxy_bytes_total" not in only


async def test_the_openapi_document_describes_every_route(admin):
    client, _ = admin
    document = await json_of(await client.get("/openapi.json"), 200)
    assert document["openapi"].startswith("3.1")
    routes = {(method.upper(), path) for path, ops in document["paths"].items()
              for method in ops if method != "parameters"}
    for route in client.server.app.router.routes():
        path = route.resource.canonical
        if route.method != "HEAD" and path != "/openapi.json":
            assert (route.method, path) in routes, (route.method, path)
    assert set(document["components"]["schemas"]) >= {"Device", "DevicePatch", "NewDevice", "Link", "LinkPatch",
                                                       "NewLink", "Settings", "SettingsPatch", "Fault", "Error"}
