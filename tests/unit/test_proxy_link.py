"""A link forwards real TCP connections both ways, and every way a connection can end."""

import asyncio
import contextlib

from tests.unit.proxy_support import echo, eventually, running_proxy, sample, serving, source

ATTEMPTS = "stormlab_proxy_connection_attempts_total"
BYTES = "stormlab_proxy_bytes_total"


async def test_forwards_both_ways_half_closes_and_counts_bytes():
    async with serving(echo) as upstream, running_proxy({"api": {"upstream": f"127.0.0.1:{upstream}"}}) as (
            topology, registry):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        payload = bytes(range(256)) * 4096  # 1 MiB: many chunks
        writer.write(payload)
        writer.write_eof()  # half-close: the echo must still come back
        received = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        assert received == payload
        labels = {"device": "border", "link": "api"}
        assert sample(registry, BYTES, direction="upstream", **labels) == len(payload)
        assert sample(registry, BYTES, direction="downstream", **labels) == len(payload)
        assert sample(registry, ATTEMPTS, outcome="accepted", reason="admitted", **labels) == 1
        await eventually(lambda: not topology.links["api"].connections)
        assert sample(registry, "stormlab_proxy_active_connections", **labels) == 0
        assert sample(registry, "stormlab_proxy_connections_closed_total", reason="closed", **labels) == 1


async def test_a_service_that_speaks_first_is_heard():
    async with serving(source(300_000)) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}) as (topology, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        assert len(await asyncio.wait_for(reader.read(), timeout=10)) == 300_000
        writer.close()


async def test_unreachable_upstream_closes_the_client_and_is_counted():
    async with serving(echo) as dead_port:
        pass  # closed again: nothing listens there now
    async with running_proxy({"api": {"upstream": f"127.0.0.1:{dead_port}"}}) as (topology, registry):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""
        writer.close()
        assert sample(registry, "stormlab_proxy_upstream_connect_failures_total",
                      device="border", link="api", reason="refused") == 1
        await eventually(lambda: topology.devices["border"].table.active == 0)


async def test_a_client_reset_resets_the_service_side():
    upstream_saw = asyncio.get_running_loop().create_future()

    async def watch(reader, writer):
        try:
            await reader.read()
            upstream_saw.set_result("eof")
        except ConnectionResetError:
            upstream_saw.set_result("reset")

    async with serving(watch) as upstream, running_proxy({"api": {"upstream": f"127.0.0.1:{upstream}"}}) as (
            topology, registry):
        _, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        await eventually(lambda: topology.devices["border"].table.active == 1)
        await asyncio.sleep(0.05)
        _abort_with_rst(writer)
        assert await asyncio.wait_for(upstream_saw, 5) == "reset"
        await eventually(lambda: sample(registry, "stormlab_proxy_connections_closed_total",
                                        device="border", link="api", reason="client_reset") == 1)


async def test_a_service_reset_resets_the_client():
    async def reset_at_once(reader, writer):
        await reader.read(1)
        _abort_with_rst(writer)

    async with serving(reset_at_once) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}) as (topology, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        writer.write(b"x")
        try:
            await asyncio.wait_for(reader.read(), 5)
            outcome = "eof"
        except ConnectionResetError:
            outcome = "reset"
        writer.close()
        assert outcome == "reset"


async def test_closing_the_link_ends_its_connections():
    async with serving(echo) as upstream, running_proxy({"api": {"upstream": f"127.0.0.1:{upstream}"}}) as (
            topology, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 5) == b"x"
        await topology.delete_link("api")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    import socket
    import struct

    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextlib.contextmanager
def unanswering_listener():
    """A port whose accept queue is full: the kernel drops further SYNs, so a connect to it
    hangs (the way a congested or vanished service's does) until the connector gives up."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=5)  # takes the one place
    try:
        yield listener.getsockname()[1]
    finally:
        filler.close()
        listener.close()


async def test_an_onward_connect_that_hangs_times_out_at_the_setting_and_is_counted():
    with unanswering_listener() as port:
        async with running_proxy({"api": {"upstream": f"127.0.0.1:{port}"}},
                                 connect_timeout_seconds=0.3) as (topology, registry):
            loop = asyncio.get_running_loop()
            started = loop.time()
            reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
            assert await asyncio.wait_for(reader.read(), timeout=5) == b""
            waited = loop.time() - started
            writer.close()
            assert 0.3 <= waited < 0.3 + 0.5, waited
            assert sample(registry, "stormlab_proxy_upstream_connect_failures_total",
                          device="border", link="api", reason="timeout") == 1
            await eventually(lambda: topology.devices["border"].table.active == 0)


async def test_a_connection_ended_during_its_onward_connect_is_not_counted_as_a_failure():
    with unanswering_listener() as port:
        async with running_proxy({"api": {"upstream": f"127.0.0.1:{port}"}},
                                 connect_timeout_seconds=5) as (topology, registry):
            link = topology.links["api"]
            reader, writer = await asyncio.open_connection("127.0.0.1", link.port)
            await eventually(lambda: link.stats["accepted"] == 1)
            await topology.delete_link("api")  # ends it mid-connect
            assert await asyncio.wait_for(reader.read(), timeout=5) == b""
            writer.close()
            assert not link.connections and topology.devices["border"].table.active == 0
            assert sample(registry, "stormlab_proxy_connections_closed_total",
                          device="border", link="api", reason="proxy_closed") == 1
            for reason in ("timeout", "refused", "error"):
                assert sample(registry, "stormlab_proxy_upstream_connect_failures_total",
                              device="border", link="api", reason=reason) == 0
