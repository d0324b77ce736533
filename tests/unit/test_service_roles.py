"""The roles' endpoints: kv really stores, dns resolves and publishes memberships,
control-plane launches and describes, monitoring-ingest takes pushes; bad input refused."""

import asyncio

from prometheus_client import CollectorRegistry

from services.app import make_app
from services.config import config_from


async def start(aiohttp_client, role, name=None, **sections):
    registry = CollectorRegistry()
    sections.setdefault("work", {"service_time_seconds": 0.001, "response_bytes": 2048})
    config = config_from({"name": name or role, "role": role, "replica": "r1", **sections})
    return await aiohttp_client(make_app(config, registry)), registry


def sample(registry, name, service, **labels):
    return registry.get_sample_value(name, {"service": service, "replica": "r1", **labels})


async def test_kv_stores_reads_overwrites_and_deletes(aiohttp_client):
    client, registry = await start(aiohttp_client, "kv")
    assert (await client.put("/v1/items/a", data=b"x" * 1000)).status == 201
    assert (await client.put("/v1/items/a", data=b"y" * 300)).status == 200  # overwrite
    response = await client.get("/v1/items/a")
    assert (response.status, await response.read()) == (200, b"y" * 300)
    assert sample(registry, "stormlab_service_kv_items", "kv") == 1
    assert sample(registry, "stormlab_service_kv_stored_bytes", "kv") == 300
    assert (await client.delete("/v1/items/a")).status == 200
    assert (await client.get("/v1/items/a")).status == 404
    assert (await client.delete("/v1/items/a")).status == 404
    assert sample(registry, "stormlab_service_kv_stored_bytes", "kv") == 0


async def test_kv_refuses_bad_input_without_losing_stored_items(aiohttp_client):
    client, registry = await start(aiohttp_client, "kv", kv={"max_items": 2, "max_value_bytes": 1000,
                                                              "preload_items": 1, "preload_value_bytes": 500})
    assert len(await (await client.get("/v1/items/item-00000")).read()) == 500  # preloaded
    assert (await client.put("/v1/items/b", data=b"b")).status == 201
    too_big = await client.put("/v1/items/b", data=b"z" * 1001)
    assert too_big.status == 413
    assert (await too_big.json())["limit_bytes"] == 1000
    full = await client.put("/v1/items/c", data=b"c")
    assert full.status == 409  # conflicts with the store's state: existing keys can still be written
    assert (await client.put("/v1/items/bad key!", data=b"c")).status == 400
    assert (await client.post("/v1/items/b", data=b"c")).status == 405
    assert await (await client.get("/v1/items/b")).read() == b"b"  # untouched by every refusal
    assert sample(registry, "stormlab_service_kv_items", "kv") == 2
    bad = "stormlab_service_bad_requests_total"
    assert sample(registry, bad, "kv", endpoint="put_item", reason="body_too_large") == 1
    assert sample(registry, bad, "kv", endpoint="put_item", reason="bad_key") == 1


async def test_a_put_whose_client_left_is_still_stored(aiohttp_server):
    registry = CollectorRegistry()
    config = config_from({"name": "kv", "role": "kv", "replica": "r1", "work": {"service_time_seconds": 0.2}})
    app = make_app(config, registry)
    server = await aiohttp_server(app)
    _, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"PUT /v1/items/late HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nlate")
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.close()  # gone before the 200 ms of work are done
    labels = {"service": "kv", "endpoint": "put_item", "replica": "r1", "outcome": "client_closed"}
    for _ in range(100):
        if registry.get_sample_value("stormlab_service_requests_total", labels) == 1:
            break
        await asyncio.sleep(0.02)
    assert registry.get_sample_value("stormlab_service_requests_total", labels) == 1
    assert sample(registry, "stormlab_service_kv_items", "kv") == 1


async def test_dns_resolves_with_the_configured_size(aiohttp_client):
    client, _ = await start(aiohttp_client, "dns")
    response = await client.get("/v1/resolve/kv.internal")
    body = await response.read()
    assert len(body) == 2048
    answer = await response.json()
    assert answer["name"] == "kv.internal"
    assert answer["addresses"] == (await (await client.get("/v1/resolve/kv.internal")).json())["addresses"]
    assert (await client.get("/v1/resolve/-bad-")).status == 400


async def test_membership_versions_change_only_with_the_endpoint_list(aiohttp_client):
    client, registry = await start(aiohttp_client, "dns", membership={"services": ["kv"]})
    assert await (await client.get("/v1/membership/kv")).json() == {
        "service": "kv", "version": 0, "endpoints": [], "announced_at": None}
    one = [{"replica": "kv-1", "address": "172.20.0.5:8080"}]
    two = [{"replica": "kv-2", "address": "172.20.0.6:8080"}, *one]
    first = await (await client.put("/admin/membership/kv", json={"endpoints": one})).json()
    assert (first["version"], first["changed"]) == (1, True)
    again = await (await client.put("/admin/membership/kv", json={"endpoints": one})).json()
    assert (again["version"], again["changed"]) == (1, False)
    scaled = await (await client.put("/admin/membership/kv", json={"endpoints": two})).json()
    assert (scaled["version"], scaled["changed"]) == (2, True)
    published = await (await client.get("/v1/membership/kv")).json()
    assert published["version"] == 2
    assert [e["replica"] for e in published["endpoints"]] == ["kv-1", "kv-2"]  # sorted by address
    assert sample(registry, "stormlab_service_membership_version", "dns", target="kv") == 2
    assert sample(registry, "stormlab_service_membership_endpoints", "dns", target="kv") == 2
    unknown = await client.get("/v1/membership/nothing")
    assert unknown.status == 404
    assert (await unknown.json())["known_services"] == ["kv"]
    no_port = {"endpoints": [{"replica": "x", "address": "nohost"}]}
    bad = await client.put("/admin/membership/kv", json=no_port)
    assert bad.status == 400
    assert (await bad.json())["problems"] == ["endpoints.0.address: expected host:port, got 'nohost'"]
    assert (await (await client.get("/v1/membership/kv")).json())["version"] == 2  # unchanged
    # republished: the same endpoints under a new version (the runner's trigger, every run)
    again = await (await client.put("/admin/membership/kv", json={"endpoints": two, "republish": True})).json()
    assert (again["version"], again["changed"]) == (3, True)
    assert sample(registry, "stormlab_service_membership_version", "dns", target="kv") == 3
    wrong = await client.put("/admin/membership/kv", json={"endpoints": two, "republish": "yes"})
    assert wrong.status == 400 and "republish" in (await wrong.json())["problems"][0]


async def test_control_plane_launches_and_describes(aiohttp_client):
    client, _ = await start(aiohttp_client, "control-plane", name="api")
    launched = await client.post("/v1/instances", json={"count": 3, "instance_type": "m5.large"})
    assert launched.status == 201
    ids = [i["instance_id"] for i in (await launched.json())["instances"]]
    assert len(set(ids)) == 3
    described = await client.get("/v1/instances")
    assert len(await described.read()) == 2048
    assert [i["instance_id"] for i in (await described.json())["instances"]] == ids
    refused = await client.post("/v1/instances", json={"count": 3, "colour": "red"})
    assert refused.status == 400
    assert (await refused.json())["problems"] == [
        "colour: unknown key; expected one of: count, instance_type"]
    assert (await client.post("/v1/instances", json={"count": 0})).status == 400


async def test_monitoring_ingest_takes_pushes_and_refuses_malformed_ones(aiohttp_client):
    client, registry = await start(aiohttp_client, "monitoring-ingest", name="monitoring")
    push = {"agent": "host-1", "samples": [
        {"name": "cpu_seconds_total", "value": 1.5, "labels": {"core": "0"}}, {"name": "up", "value": 1}]}
    response = await client.post("/v1/metrics", json=push)
    assert (response.status, await response.json()) == (202, {"accepted": 2})
    assert sample(registry, "stormlab_service_ingested_samples_total", "monitoring") == 2
    malformed = await client.post("/v1/metrics", data=b'{"agent": ',
                                  headers={"Content-Type": "application/json"})
    assert malformed.status == 400
    assert (await malformed.json())["error"].startswith("the body is not valid JSON")
    bad_sample = await client.post("/v1/metrics", json={"agent": "host-1", "samples": [{"name": "1bad"}]})
    assert bad_sample.status == 400
    assert len((await bad_sample.json())["problems"]) == 2  # the name's pattern and the missing value
    labels = {"endpoint": "push_metrics"}
    assert sample(registry, "stormlab_service_bad_requests_total", "monitoring", **labels,
                  reason="malformed_json") == 1
    assert sample(registry, "stormlab_service_ingested_samples_total", "monitoring") == 2
