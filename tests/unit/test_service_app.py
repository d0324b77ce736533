"""The service over real sockets: work, shedding, headers, clear errors, disconnects, drain."""

import asyncio
import time

from prometheus_client import CollectorRegistry

from services.app import make_app
from services.config import config_from


def make(registry, **sections):
    sections.setdefault("work", {"service_time_seconds": 0.05, "response_bytes": 4096})
    return make_app(config_from({"name": "api", "replica": "r1", **sections}), registry)


def value(registry, name, endpoint="work", **labels):
    labels = {"service": "api", "endpoint": endpoint, "replica": "r1", **labels}
    return registry.get_sample_value(name, labels) or 0


async def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_work_sleeps_and_returns_the_configured_size(aiohttp_client):
    registry = CollectorRegistry()
    client = await aiohttp_client(make(registry))
    started = time.monotonic()
    response = await client.get("/v1/work")
    elapsed = time.monotonic() - started
    assert response.status == 200
    assert len(await response.read()) == 4096
    assert response.headers["X-Stormlab-Service"] == "api"
    assert response.headers["X-Stormlab-Replica"] == "r1"
    assert 0.05 <= elapsed < 0.05 + 0.5  # the sleep, plus generous room for a loaded CI machine
    assert value(registry, "stormlab_service_requests_total", outcome="success") == 1
    assert value(registry, "stormlab_service_request_duration_seconds_count") == 1
    assert value(registry, "stormlab_service_request_duration_seconds_sum") >= 0.05
    assert value(registry, "stormlab_service_work_duration_seconds_count") == 1
    assert value(registry, "stormlab_service_in_flight_requests") == 0


async def test_probes_and_scrapes_are_not_counted_as_work(aiohttp_client):
    registry = CollectorRegistry()
    client = await aiohttp_client(make(registry))
    assert (await client.get("/health")).status == 200
    assert (await client.get("/metrics")).status == 200
    assert value(registry, "stormlab_service_requests_total", "health", outcome="success") == 0


async def test_overload_is_shed_with_503_and_retry_after(aiohttp_client):
    registry = CollectorRegistry()
    client = await aiohttp_client(make(registry, capacity={"workers": 1, "queue_limit": 1},
                                       work={"service_time_seconds": 0.2}))
    responses = await asyncio.gather(*(client.get("/v1/work") for _ in range(3)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [200, 200, 503]
    (shed,) = [r for r in responses if r.status == 503]
    assert shed.headers["Retry-After"] == "1"
    assert (await shed.json())["reason"] == "queue_full"
    assert value(registry, "stormlab_service_requests_total", outcome="rejected") == 1
    assert value(registry, "stormlab_service_rejected_requests_total", reason="queue_full") == 1


async def test_bad_headers_unknown_paths_and_wrong_methods_get_clear_json_errors(aiohttp_client):
    registry = CollectorRegistry()
    client = await aiohttp_client(make(registry))
    response = await client.get("/nope")
    assert response.status == 404
    assert "/v1/work" in (await response.json())["endpoints"]
    response = await client.post("/v1/work")
    assert response.status == 405
    body = await response.json()
    assert body["error"] == "method POST is not allowed on /v1/work"
    assert "GET" in body["allowed_methods"]
    bad_headers = [{"X-Attempt": "zero"}, {"X-Attempt": "0"},
                   {"X-Deadline-Ms": "soon"}, {"X-Deadline-Ms": "-5"}]
    for headers in bad_headers:
        response = await client.get("/v1/work", headers=headers)
        assert response.status == 400, headers
        assert "expected" in await response.json()
    assert value(registry, "stormlab_service_requests_total", "unmatched", outcome="client_error") == 2
    bad = "stormlab_service_bad_requests_total"
    assert value(registry, bad, "unmatched", reason="not_found") == 1
    assert value(registry, bad, "unmatched", reason="method_not_allowed") == 1
    assert value(registry, bad, reason="bad_header") == 4
    assert value(registry, "stormlab_service_work_duration_seconds_count") == 0  # none took a worker


async def test_a_client_that_leaves_still_gets_its_work_done_and_counted(aiohttp_server):
    """aiohttp < 3.10 cancels the handler when the client disconnects, newer versions do
    not: either way the work is done, and counted as wasted and client_closed."""
    registry = CollectorRegistry()
    server = await aiohttp_server(make(registry, capacity={"workers": 1}, work={"service_time_seconds": 0.2}))
    _, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET /v1/work HTTP/1.1\r\nHost: x\r\nX-Deadline-Ms: 50\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(0.1)  # the client gives up after its 50 ms and closes
    writer.close()
    await wait_for(lambda: value(registry, "stormlab_service_requests_total", outcome="client_closed") == 1)
    assert value(registry, "stormlab_service_work_duration_seconds_count") == 1
    assert value(registry, "stormlab_service_completed_after_deadline_total") == 1
    wasted = value(registry, "stormlab_service_wasted_work_seconds_total", reason="deadline_passed")
    assert 0.19 <= wasted < 0.5
    assert value(registry, "stormlab_service_request_duration_seconds_sum") >= 0.19  # its whole life
    assert value(registry, "stormlab_service_in_flight_requests") == 0


async def test_shutdown_fails_health_refuses_new_work_and_finishes_in_flight(aiohttp_client):
    registry = CollectorRegistry()
    app = make(registry, work={"service_time_seconds": 0.2})
    client = await aiohttp_client(app)
    in_flight = asyncio.ensure_future(client.get("/v1/work"))
    busy = {"service": "api", "replica": "r1"}
    await wait_for(lambda: registry.get_sample_value("stormlab_service_busy_workers", busy) == 1)
    await app.shutdown()  # what aiohttp runs on SIGTERM after it stops listening
    health = await client.get("/health")
    assert health.status == 503
    refused = await client.get("/v1/work")
    assert refused.status == 503
    assert (await refused.json())["reason"] == "shutting_down"
    assert (await in_flight).status == 200


def test_every_work_endpoint_reports_zero_rejections_before_any():
    registry = CollectorRegistry()
    make(registry)
    labels = {"service": "api", "endpoint": "work", "replica": "r1"}
    for reason in ("queue_full", "admission_control", "codel", "deadline_expired", "displaced", "shutting_down"):
        assert registry.get_sample_value("stormlab_service_rejected_requests_total", {**labels, "reason": reason}) == 0
    # not for probes and scrapes, which never go through the queue
    assert registry.get_sample_value("stormlab_service_rejected_requests_total",
                                     {**labels, "endpoint": "health", "reason": "queue_full"}) is None
