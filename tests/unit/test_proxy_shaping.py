"""A device's bandwidth is shared by every connection crossing it, measured on real sockets.

Rates here are small (a few MB/s for about a second) so a busy CI machine is not the
bottleneck; the benchmark (make bench-proxy) measures accuracy at full scale.
"""

import asyncio

from tests.unit.proxy_support import read_all, running_proxy, sample, serving, source

RATE = 4_000_000  # bytes/s
BURST = 65536


def shaped(rate=RATE, burst=BURST, buffer=1 << 20):
    return {"border": {"downstream": {"bytes_per_second": rate, "burst_bytes": burst, "buffer_bytes": buffer}}}


async def test_the_aggregate_rate_is_shared_by_all_streams():
    streams, each = 8, 600_000  # 4.8 MB at 4 MB/s: 1.2 s
    async with serving(source(each)) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}, shaped()) as (topology, _):
        port = topology.links["api"].port
        loop = asyncio.get_running_loop()
        started = loop.time()
        results = await asyncio.gather(*(read_all(port) for _ in range(streams)))
        elapsed = loop.time() - started
    assert [got for got, _ in results] == [each] * streams
    ideal = (streams * each - BURST) / RATE
    assert ideal * 0.95 <= elapsed <= ideal * 1.15 + 0.1  # per connection, it would take 1/8 of this
    finish = sorted(seconds for _, seconds in results)
    assert finish[-1] - finish[0] < 0.15 * finish[-1]  # fair: all finish together


async def test_a_rate_change_takes_effect_within_100_ms():
    async with serving(source(50_000_000)) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}}, shaped(rate=10_000)) as (topology, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", topology.links["api"].port)
        await reader.readexactly(BURST)  # the initial burst; then 10 kB/s: nearly stopped
        loop = asyncio.get_running_loop()
        changed = loop.time()
        topology.update_device("border", {"downstream": {"bytes_per_second": 20_000_000}})
        # 200 kB: 20 s at the old rate, 10 ms at the new one; the rest is the change's latency
        await asyncio.wait_for(reader.readexactly(200_000), 5)
        elapsed = loop.time() - changed
        writer.close()
    assert elapsed < 0.1 + 0.1, f"200 kB took {elapsed:.3f} s after the change"  # 100 ms, + CI room


async def test_the_buffer_is_bounded_and_queueing_delay_is_measured():
    buffer = 4 * 65536
    async with serving(source(20_000_000)) as upstream, running_proxy(
            {"api": {"upstream": f"127.0.0.1:{upstream}"}},
            shaped(rate=1_000_000, buffer=buffer)) as (topology, registry):
        readers = [await asyncio.open_connection("127.0.0.1", topology.links["api"].port) for _ in range(10)]
        shaper = topology.devices["border"].shapers["downstream"]
        peak = 0
        for _ in range(50):  # 0.5 s of a device asked for 10x what it can carry
            peak = max(peak, shaper.buffered_bytes)
            await asyncio.sleep(0.01)
        for _, writer in readers:
            writer.close()
    # Each paused sender may have had one read in flight when the buffer filled.
    assert peak <= buffer + 10 * 65536
    delays = sample(registry, "stormlab_proxy_queueing_delay_seconds_count",
                    device="border", link="api", direction="downstream")
    assert delays > 0
