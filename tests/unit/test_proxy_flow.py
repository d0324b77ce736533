"""A flow queues at the shaper its link's lane names; when the link moves to another device,
what it still has queued at the old one goes first, so the stream keeps its order, and the
rest crosses the new device."""

import asyncio
import contextlib

from proxy.lane import FLOW_QUEUE_CHUNKS
from tests.unit.proxy_support import running_proxy, serving

PATTERN = bytes(range(251)) * 4000  # ~1 MB that shows any reordering (251 is prime)


async def pattern_source(reader, writer):
    with contextlib.suppress(ConnectionError):
        for _ in range(3):
            writer.write(PATTERN)
            await writer.drain()
    writer.close()


async def test_a_stream_moved_to_another_device_keeps_its_order_and_finishes_there():
    devices = {"border": {"downstream": {"bytes_per_second": 1_000_000, "burst_bytes": 65536}}, "fast": {}}
    async with serving(pattern_source) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}, devices) as (topology, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        loop = asyncio.get_running_loop()
        got = await asyncio.wait_for(reader.readexactly(200_000), 5)
        moved = loop.time()
        await topology.update_link("api", {"device": "fast"})
        got += await asyncio.wait_for(reader.readexactly(3 * len(PATTERN) - len(got)), 10)
        elapsed = loop.time() - moved
        writer.close()
        slow = topology.devices["border"].shapers["downstream"]
        fast = topology.devices["fast"].shapers["downstream"]
    assert got == PATTERN * 3
    # The old device sends what it held (at most a flow's queue, 4 chunks: 0.26 s at 1 MB/s);
    # the other 2.8 MB would take 2.8 s there, and take far less on the unlimited device.
    assert elapsed < 1.5, elapsed
    assert slow.forwarded_bytes <= 200_000 + (FLOW_QUEUE_CHUNKS + 1) * 65536 + 65536
    assert fast.forwarded_bytes >= 3 * len(PATTERN) - slow.forwarded_bytes


async def test_lanes_follow_the_link_and_the_settings():
    async with running_proxy({"api": {"upstream": "127.0.0.1:9"}}, {"border": {}, "side": {}}) as (topology, _):
        link = topology.links["api"]
        await topology.update_link("api", {"device": "side",
                                           "faults": {"slow": {"type": "latency", "latency_seconds": 0.1}}})
        topology.update_settings({"chunk_bytes": 16384})
        for direction, lane in link.lanes.items():
            assert lane.shaper is topology.devices["side"].shapers[direction]
            assert lane.delayed and lane.queue_limit == FLOW_QUEUE_CHUNKS * 16384
        assert link.addresses.ttl_seconds == 1.0 and link.settings.chunk_bytes == 16384


async def test_reads_are_a_chunk_where_a_device_schedules_or_delays_and_larger_where_nothing_does():
    from proxy.connection import CLIENT, SERVER
    from proxy.lane import UNSHAPED_READ_BYTES
    from tests.unit.proxy_support import echo

    async with serving(echo) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}, {"border": {}}, chunk_bytes=16384) as (topology, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        writer.write(b"x")
        await asyncio.wait_for(reader.readexactly(1), 5)  # wired: both flows exist
        (connection,) = topology.links["api"].connections
        assert connection.read_bytes(CLIENT) == connection.read_bytes(SERVER) == UNSHAPED_READ_BYTES
        topology.update_device("border", {"downstream": {"bytes_per_second": 1_000_000}})
        assert connection.read_bytes(SERVER) == 16384  # the limited direction, from the next read
        assert connection.read_bytes(CLIENT) == UNSHAPED_READ_BYTES  # the other is still unlimited
        await topology.update_link("api", {"faults": {"slow": {"type": "latency", "latency_seconds": 0.01,
                                                               "direction": "upstream"}}})
        assert connection.read_bytes(CLIENT) == 16384  # delayed chunks are held as chunks
        topology.update_device("border", {"downstream": {"bytes_per_second": None}})
        await topology.update_link("api", {"faults": {"slow": None}})  # a merge patch: null removes
        assert connection.read_bytes(CLIENT) == connection.read_bytes(SERVER) == UNSHAPED_READ_BYTES
        # and bytes still cross whole and in order at the larger reads
        block = PATTERN[:600_000]
        writer.write(block)
        assert await asyncio.wait_for(reader.readexactly(len(block)), 10) == block
        writer.close()
