"""Abrupt endings, garbage and slow readers: no crash, no leaked descriptor or task, and the
device's counters come back to zero."""

import asyncio
import contextlib
import gc
import socket
import struct

from proxy.lane import UNSHAPED_READ_BYTES
from tests.unit.proxy_support import echo, eventually, open_descriptors, running_proxy, serving, source


def rst(writer):
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def reset_after_a_while(reader, writer):
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        await reader.readexactly(10)
    rst(writer)


async def connect_and_reset(port):
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    rst(writer)


async def send_then_reset(port):
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"z" * 200_000)
    await asyncio.sleep(0.01)
    rst(writer)


async def garbage_then_close(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(bytes(range(256)) * 16 + b"\r\n\r\nGET / HTTP/9\r\n\r\n")
    with contextlib.suppress(ConnectionError, asyncio.TimeoutError):  # queued behind others: fine
        await asyncio.wait_for(reader.read(100), 0.2)
    writer.close()


async def half_close_and_read(port) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello")
    writer.write_eof()
    try:
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def slow_reader(port):
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"x" * 1_000_000)  # echoed back, never read
    await asyncio.sleep(0.3)
    writer.close()


async def test_a_storm_of_abrupt_endings_leaks_nothing():
    devices = {"border": {"downstream": {"bytes_per_second": 20e6, "buffer_bytes": 1 << 20},
                          "connections": {"max_active": 40, "backlog": 100, "backlog_timeout_seconds": 5}}}
    async with serving(echo) as echo_port, serving(reset_after_a_while) as resetting, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{echo_port}", "protocol": "http"},
             "flaky": {"upstream": f"127.0.0.1:{resetting}"}}, devices) as (topology, registry):
        api, flaky = topology.links["api"].port, topology.links["flaky"].port
        assert await half_close_and_read(api) == b"hello"  # warm up: lazy state exists before the baseline
        gc.collect()
        fds, tasks = open_descriptors(), set(asyncio.all_tasks())

        jobs = ([connect_and_reset(api) for _ in range(40)] + [send_then_reset(api) for _ in range(40)]
                + [garbage_then_close(api) for _ in range(40)] + [half_close_and_read(api) for _ in range(20)]
                + [slow_reader(api) for _ in range(10)] + [send_then_reset(flaky) for _ in range(20)])
        results = await asyncio.gather(*jobs, return_exceptions=True)
        # The storm overflows the device (40 slots, backlog 100): attempts it turns away see
        # a close or a reset. Nothing else may go wrong.
        unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ConnectionError)]
        assert unexpected == []
        served = [r for r in results if r == b"hello"]
        assert served, "some half-closing clients should have been served"

        device = topology.devices["border"]
        await eventually(lambda: not topology.links["api"].connections and not topology.links["flaky"].connections,
                         timeout=10)
        # nothing new survives: every descriptor and task the storm created is gone
        await eventually(lambda: not (open_descriptors() - fds) and not (set(asyncio.all_tasks()) - tasks),
                         timeout=5)
        assert device.table.active == 0 and device.table.waiting == 0
        assert device.shapers["downstream"].buffered_bytes == 0
        assert device.shapers["upstream"].buffered_bytes == 0
        for link in ("api", "flaky"):  # (absent: none was ever admitted)
            assert (registry.get_sample_value("stormlab_proxy_active_connections",
                                              {"device": "border", "link": link}) or 0) == 0
        # the proxy still works
        assert await half_close_and_read(api) == b"hello"


async def test_a_reader_that_never_reads_cannot_make_the_proxy_buffer_without_bound():
    async with serving(source(200_000_000)) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}) as (topology, _):
        _, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        await eventually(lambda: topology.links["api"].connections)
        await asyncio.sleep(0.5)  # the service would send 200 MB if nothing held it back
        (connection,) = topology.links["api"].connections
        held = connection.client.get_write_buffer_size()
        # the high-water mark plus one read: an unshaped direction's (256 KiB), the largest
        assert held <= 2 * 65536 + UNSHAPED_READ_BYTES
        assert not connection.server.is_reading()  # the service is being held back
        writer.close()
