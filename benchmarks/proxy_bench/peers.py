"""The traffic the benchmark drives: endless sources, stream readers, echo round trips, and
connection surges. Plain asyncio on loopback; every loop is bounded in time."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time

BLOCK = b"b" * 262144


async def endless_source(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send bytes as fast as the peer takes them, until it goes away."""
    with contextlib.suppress(ConnectionError, OSError):
        while True:
            writer.write(BLOCK)
            await writer.drain()
    writer.close()


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def serve(handler, host: str = "127.0.0.1") -> asyncio.AbstractServer:
    return await asyncio.start_server(handler, host, 0, backlog=4096)


def port_of(server: asyncio.AbstractServer) -> int:
    return server.sockets[0].getsockname()[1]


async def stream_rates(host: str, port: int, streams: int, warmup: float, seconds: float) -> list[float]:
    """Open ``streams`` connections that read as fast as they can; return each one's bytes/s
    over a window of ``seconds`` that starts after ``warmup`` (the burst and the ramp-up)."""
    counts = [0] * streams
    stop = asyncio.Event()

    async def read(i: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while not stop.is_set():
                data = await reader.read(1 << 20)
                if not data:
                    break
                counts[i] += len(data)
        finally:
            writer.close()

    tasks = [asyncio.ensure_future(read(i)) for i in range(streams)]
    await asyncio.sleep(warmup)
    start, started = list(counts), time.monotonic()
    await asyncio.sleep(seconds)
    end, elapsed = list(counts), time.monotonic() - started
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [(b - a) / elapsed for a, b in zip(start, end, strict=True)]


def jain(values: list[float]) -> float:
    """Jain's fairness index: 1 when all equal, 1/n when one takes everything."""
    total = sum(values)
    squares = sum(v * v for v in values)
    return total * total / (len(values) * squares) if squares else 0.0


async def round_trip_latencies(host: str, port: int, rate: float, seconds: float,
                               connections: int = 10, size: int = 64) -> list[float]:
    """Small request/response pairs at ``rate`` per second in all, spread over persistent
    connections on a fixed schedule (open loop); return each round trip's seconds."""
    per_connection = rate / connections
    samples: list[float] = []
    message = b"q" * size

    async def run(offset: float) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        loop = asyncio.get_running_loop()
        start = loop.time() + offset
        try:
            for n in range(int(per_connection * seconds)):
                await asyncio.sleep(max(0.0, start + n / per_connection - loop.time()))
                sent = time.perf_counter()
                writer.write(message)
                await reader.readexactly(size)
                samples.append(time.perf_counter() - sent)
        finally:
            writer.close()

    await asyncio.gather(*(run(i / rate) for i in range(connections)))
    return samples


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else values[0]


async def connection_surge(host: str, port: int, rate: float, seconds: float, hold: float) -> dict:
    """Open-loop connection attempts at ``rate``/s for ``seconds``: each connects, makes one
    round trip, holds the connection ``hold`` seconds, and gives up after 3 s. Returns counts."""
    outcome = {"forwarded": 0, "failed": 0}

    async def attempt() -> None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 3)
        except (TimeoutError, OSError):
            outcome["failed"] += 1
            return
        try:
            writer.write(b"x")
            await asyncio.wait_for(reader.readexactly(1), 3)
            outcome["forwarded"] += 1
            await asyncio.sleep(hold)
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            outcome["failed"] += 1
        finally:
            writer.close()

    loop = asyncio.get_running_loop()
    start, tasks = loop.time(), []
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        tasks.append(asyncio.ensure_future(attempt()))
    await asyncio.gather(*tasks)
    return outcome
