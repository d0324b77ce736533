"""The shared /metrics handler: restricting by name, and closing the connection on request."""

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from stormlab_common.web import metrics_handler


async def metrics_client(aiohttp_client):
    registry = CollectorRegistry()
    Counter("stormlab_test_things_total", "things", registry=registry).inc(3)
    Gauge("stormlab_test_level", "level", registry=registry).set(7)
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(registry))
    return await aiohttp_client(app)


async def test_everything_by_default_and_only_the_named_metrics_on_request(aiohttp_client):
    client = await metrics_client(aiohttp_client)
    whole = await (await client.get("/metrics")).text()
    assert "stormlab_test_things_total 3.0" in whole and "stormlab_test_level 7.0" in whole
    only = await (await client.get("/metrics", params={"name[]": "stormlab_test_level"})).text()
    assert "stormlab_test_level 7.0" in only and "stormlab_test_things_total" not in only


async def test_connection_close_on_request_keep_alive_otherwise(aiohttp_client):
    client = await metrics_client(aiohttp_client)
    kept = await client.get("/metrics")
    assert kept.headers.get("Connection", "").lower() != "close"
    closed = await client.get("/metrics", params={"connection": "close"})
    assert closed.status == 200
    assert closed.headers.get("Connection", "").lower() == "close"
