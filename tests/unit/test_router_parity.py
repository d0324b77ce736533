"""The router answers a device or link change as the proxy does, status and JSON alike, for
every change it can honour: the same bodies go to both, a proxy in-process and the router on
a fake kernel, one after another, so both states move together. Hypothesis draws well-formed
patches, patches with one mistake, and bodies that are not patches at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from proxy.admin import make_admin_app
from router.agent import make_agent_app
from router.kernel_limits import device_data_refusals, link_data_refusals
from router.traffic_control import MAX_HTB_RATE, MAX_PAYLOAD_RATE, MAX_QUEUE_BYTES, SETUP_PACKET_BYTES
from stormlab_common.contracts import proxy as contract
from stormlab_common.contracts.kernel_device import PINNED_CONNECTIONS
from stormlab_common.model import patch_schema_of
from tests.unit.proxy_support import running_proxy
from tests.unit.schema_strategies import bad_values, values
from tests.unit.test_router_fakes import started_state

DEVICE_PATCHES = patch_schema_of(contract.Device)
LINK_PATCHES = patch_schema_of(contract.Link)
NOT_OBJECTS = st.sampled_from([b"", b"[]", b"null", b"5", b'"x"', b"{", b'{"a": NaN}', b"\xff"])


def honourable_device_patch(patch) -> bool:
    """A change the kernel device can make as the proxy would (no knob it refuses, no rate it
    cannot hold)."""
    if not isinstance(patch, Mapping) or device_data_refusals(patch):
        return False
    for direction in ("upstream", "downstream"):
        rate = (patch.get(direction) or {}).get("bytes_per_second") if isinstance(patch.get(direction), Mapping) \
            else None
        if isinstance(rate, int | float) and not isinstance(rate, bool) and not 1 <= rate <= MAX_PAYLOAD_RATE:
            return False
        buffer = (patch.get(direction) or {}).get("buffer_bytes") if isinstance(patch.get(direction), Mapping) \
            else None
        if isinstance(buffer, int) and buffer > MAX_QUEUE_BYTES:
            return False
    connections = patch.get("connections")
    if isinstance(connections, Mapping):
        if connections.get("on_overflow") == "reset":
            return False  # refused with a backlog, the kernel's tc queue can only drop
        rate = connections.get("new_per_second")
        if isinstance(rate, int | float) and not isinstance(rate, bool) and (
                rate < 1 / 86400 or rate * SETUP_PACKET_BYTES > MAX_HTB_RATE):  # a setup queue's htb rate
            return False
    return True


def comparable(body):
    """What both must agree on: everything but what only says which device answers (the
    router's read-back of the kernel, the pinned knobs' values, its own body example)."""
    if isinstance(body, dict) and "config" in body:
        config = json.loads(json.dumps(body["config"]))
        for key in PINNED_CONNECTIONS:
            config.get("connections", {}).pop(key, None)
        config.pop("listen_port", None)
        return config
    return body


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_device_and_link_changes_answer_as_the_proxys(data):
    asyncio.run(_compare(data))


async def _compare(data) -> None:
    links = {"api": {"upstream": "api:8080", "device": "border"}, "dns": {"upstream": "dns:8080", "device": "border"}}
    async with running_proxy(links, {"border": {}, "dns-path": {}}) as (topology, registry):
        proxy = TestClient(TestServer(make_admin_app(topology, registry)))
        router_state = started_state(links={name: {"listen_port": 18000 + i, **link}
                                            for i, (name, link) in enumerate(links.items())})
        router = TestClient(TestServer(make_agent_app(router_state, CollectorRegistry())))
        await proxy.start_server()
        await router.start_server()
        try:
            for _ in range(data.draw(st.integers(1, 4), label="changes")):
                await _one_change(data, proxy, router)
        finally:
            await proxy.close()
            await router.close()


async def _one_change(data, proxy: TestClient, router: TestClient) -> None:
    kind = data.draw(st.sampled_from(["devices", "links"]), label="kind")
    schema = DEVICE_PATCHES if kind == "devices" else LINK_PATCHES
    name = data.draw(st.sampled_from(["border", "dns-path", "nope"] if kind == "devices" else ["api", "dns", "nope"]))
    raw = data.draw(st.one_of(values(schema).map(lambda p: json.dumps(p).encode()),
                              bad_values(schema).map(lambda p: json.dumps(p).encode()),
                              NOT_OBJECTS), label="body")
    try:
        patch = json.loads(raw)
    except ValueError:
        patch = None
    if isinstance(patch, dict):
        if kind == "devices" and not honourable_device_patch(patch):
            return
        if kind == "links" and (link_data_refusals(patch) or "listen_port" in patch):
            return  # a refused knob, or a port the proxy would bind
    if kind == "links" and not isinstance(patch, dict) and raw not in (b"{", b'{"a": NaN}', b"\xff"):
        return  # the router's example body for a link differs (the proxy's shows a fault)
    headers = {"Content-Type": "application/json"}
    answers = []
    for client in (proxy, router):
        response = await client.patch(f"/{kind}/{name}", data=raw, headers=headers)
        body = comparable(await response.json())
        if response.status == 409:  # the one-line summary names each device's own unit (chunk, packet)
            body.pop("error")
        answers.append((response.status, body))
    event(f"{kind}: {answers[0][0]}")  # what was compared (--hypothesis-show-statistics)
    assert answers[0] == answers[1], (kind, name, raw)
