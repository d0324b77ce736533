"""The device benchmark's own pieces (benchmarks/device_bench): what the service counts, the
buffer it gives a shaped device, and the report's tables. The measurement itself needs root and
namespaces: `make bench-device`."""

from __future__ import annotations

import asyncio
import time

from benchmarks.device_bench.sections import CHUNK, shaping_buffer
from benchmarks.device_bench.services import CountingEcho
from benchmarks.markdown import markdown_table


def test_the_shaping_buffer_is_100_ms_at_the_rate_and_at_least_two_gso_packets():
    assert shaping_buffer(10e6) == 1_000_000
    assert shaping_buffer(50e6) == 5_000_000
    assert shaping_buffer(1e6) == 2 * CHUNK


async def test_the_counting_echo_counts_arrivals_in_a_window_and_the_most_open_at_once():
    counted = CountingEcho()
    server = await asyncio.start_server(counted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = time.monotonic()
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    for reader, writer in connections:
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 5) == b"x"  # echoed: the server holds it
    assert counted.answer({"peak": "read"}) == {"peak": 3}
    for _, writer in connections[:2]:
        writer.close()
    deadline = time.monotonic() + 5
    while counted.open_now > 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert counted.answer({"peak": "reset"}) == {"peak": 1}  # back to what is open now
    assert counted.answer({"arrivals": [started, time.monotonic()]}) == {"arrivals": 3}
    assert counted.answer({"arrivals": [time.monotonic(), time.monotonic() + 1]}) == {"arrivals": 0}
    connections[2][1].close()
    server.close()


def test_a_table_takes_its_columns_from_the_first_row_and_leaves_missing_cells_empty():
    text = markdown_table([{"device": "proxy", "error %": 0.1}, {"device": "kernel", "error %": None}])
    assert text.splitlines() == ["| device | error % |", "| --- | --- |", "| proxy | 0.1 |", "| kernel |  |"]
    assert markdown_table([]) == "(no rows)"
