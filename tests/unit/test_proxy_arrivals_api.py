"""GET /arrivals on the admin API: over a timeline on a fake wall clock for the answers and the
refusals, and end to end through a real link for when arrivals are dated."""

import asyncio
import contextlib
import socket
import time

import pytest
from prometheus_client import CollectorRegistry

from proxy.admin import make_admin_app
from proxy.arrival_timeline import ArrivalTimeline
from proxy.config import config_from_dict
from proxy.metrics import ProxyMetrics
from proxy.topology import Topology
from tests.unit.proxy_support import echo, eventually, running_proxy, sample, serving

NOW = 1000.05  # in the slot 1000.0-1000.1
EXPECTED = ("expected ?since=<unix seconds>&until=<unix seconds>, since before until, at most 600 s apart, "
            "within the last 600 s")


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
async def api(aiohttp_client):
    registry = CollectorRegistry()
    config = config_from_dict({"devices": {"border": {}, "dns-path": {}}, "links": {}})
    arrivals = ArrivalTimeline(Clock(NOW))
    topology = Topology(config, ProxyMetrics(registry), asyncio.get_running_loop(), arrivals)
    yield await aiohttp_client(make_admin_app(topology, registry)), topology
    await topology.close()


async def json_of(response, status):
    assert response.status == status, await response.text()
    return await response.json()


async def test_a_window_has_every_slot_with_the_arrivals_at_all_devices_or_one(api):
    client, topology = api
    for at, device in [(999.85, "border"), (999.86, "border"), (999.95, "dns-path"), (999.99, "border")]:
        topology.arrivals.record(at, device)
    assert await json_of(await client.get("/arrivals?since=999.8&until=1000"), 200) == {
        "slot_seconds": 0.1, "since": 999.8, "until": 1000.0, "device": None,
        "slots": [[999.8, 2], [999.9, 2]]}
    only = await json_of(await client.get("/arrivals?since=999.75&until=1000.01&device=border"), 200)
    assert only["device"] == "border" and only["slots"] == [[999.7, 0], [999.8, 2], [999.9, 1], [1000.0, 0]]


async def test_the_oldest_window_kept_is_accepted(api):
    client, _ = api
    body = await json_of(await client.get(f"/arrivals?since={NOW - 600}&until={NOW}"), 200)
    assert len(body["slots"]) == 6001  # 400.0 to 1000.0, the current slot included


@pytest.mark.parametrize(("query", "problems"), [
    ("", ["since: missing; expected a time in unix seconds, e.g. since=1700000000.5",
          "until: missing; expected a time in unix seconds, e.g. until=1700000000.5"]),
    ("?since=yesterday&until=1000", ["since: expected a number (unix seconds), got 'yesterday'"]),
    ("?since=nan&until=1e999", ["since: expected a finite number (unix seconds), got 'nan'",
                                "until: expected a finite number (unix seconds), got '1e999'"]),
    ("?since=1000&until=999.5", ["until: expected a time after since (1000.0), got 999.5"]),
    ("?since=400.1&until=1000.2", ["until: expected at most 600 s after since, got 600.1 s (ask for the window in parts)"]),
    ("?since=399.9&until=400.5", ["since: expected 400.0 or later (slots are kept for 600 s), got 399.9"]),
    ("?since=1e300&until=1e300", ["until: expected a time after since (1e+300), got 1e+300"]),
    ("?until=1000&device=nowhere", ["since: missing; expected a time in unix seconds, e.g. since=1700000000.5"]),
])
async def test_a_bad_query_is_refused_with_what_is_wrong_and_what_is_expected(api, query, problems):
    client, _ = api
    count = len(problems)
    assert await json_of(await client.get(f"/arrivals{query}"), 400) == {
        "error": f"invalid arrivals query ({count} problem{'s' * (count != 1)}); {EXPECTED}", "problems": problems}


async def test_an_unknown_device_is_not_found_and_a_deleted_one_keeps_its_history(api):
    client, topology = api
    error = await json_of(await client.get("/arrivals?since=999&until=1000&device=nowhere"), 404)
    assert error == {"error": "unknown device 'nowhere'", "known": ["border", "dns-path"]}
    topology.arrivals.record(999.5, "dns-path")
    topology.delete_device("dns-path")
    body = await json_of(await client.get("/arrivals?since=999.5&until=999.6&device=dns-path"), 200)
    assert body["slots"] == [[999.5, 1]]


@pytest.mark.skipif(not hasattr(socket, "TCP_INFO"), reason="TCP_INFO is Linux's")
async def test_connections_count_when_they_arrived_not_when_the_busy_loop_accepted_them(aiohttp_client):
    async with serving(echo) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}) as (topology, registry):
        client = await aiohttp_client(make_admin_app(topology, registry))
        opened_from = time.time()
        with contextlib.ExitStack() as clients:
            for _ in range(5):  # blocking connects: the kernel completes each handshake at once
                sock = clients.enter_context(socket.create_connection(("127.0.0.1", topology.links["api"].port)))
                sock.sendall(b"ping")
            opened_to = time.time()
            time.sleep(0.8)  # the loop is busy, as during a storm: nothing is accepted meanwhile
            await eventually(lambda: sample(registry, "stormlab_proxy_connection_arrivals_total",
                                            device="border", link="api") == 5)
            accepted_by = time.time()
            body = await json_of(await client.get("/arrivals", params={
                "since": opened_from - 2, "until": accepted_by + 0.2, "device": "border"}), 200)
        counted = {start: count for start, count in body["slots"] if count}
        assert sum(counted.values()) == 5
        # In the slots they were opened in (0.3 s of tolerance), none where they were accepted.
        assert all(opened_from - 0.1 - 0.3 <= start <= opened_to + 0.3 for start in counted), (
            counted, opened_from, opened_to, accepted_by)
        assert accepted_by - opened_to >= 0.8
