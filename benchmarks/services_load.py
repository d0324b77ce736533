#!/usr/bin/env python3
"""Bounded load against main-network service replicas, for the benchmark and the
integration tests: ``python3 benchmarks/services_load.py --url http://kv:8080 ...``.

Open loop (``--rate``): requests leave on a fixed schedule whether or not earlier ones
came back, as the real internal clients' did; each has a timeout and sends
``X-Deadline-Ms`` and ``X-Attempt: 1``. With several replica addresses (a compose service
name resolves to every replica), requests go round-robin over them. Prints one JSON line.

Closed loop (``--connections``): that many keep-alive connections, each sending its next
request when the last answer arrived, over a minimal HTTP/1.1 client so the client side
costs little CPU: for the overhead figure.

Self-contained (standard library + aiohttp), so it also runs inside the service image,
on Debian's aiohttp 3.8 as on current releases. Every run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
import urllib.parse
from collections import Counter


def replica_urls(url: str) -> list[str]:
    """``url`` once per address its host resolves to (every replica of a compose service)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or 80
    addresses = sorted({info[4][0] for info in socket.getaddrinfo(parts.hostname, port, socket.AF_INET)})
    return [f"{parts.scheme}://{address}:{port}" for address in addresses]


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


async def open_loop(urls: list[str], path: str, rate: float, duration: float, timeout: float,
                    method: str = "GET", warmup: float = 0.0) -> dict:
    import aiohttp  # only the open loop needs it

    outcomes: Counter = Counter()
    latencies: list[float] = []  # every attempt's, timeouts counted as the timeout
    success_times: list[float] = []
    headers = {"X-Attempt": "1", "X-Deadline-Ms": str(int(timeout * 1000))}
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)

    async def one(session, url: str) -> None:
        sent = time.monotonic()
        try:
            async with session.request(method, url + path, headers=headers) as response:
                await response.read()
                outcome = str(response.status)
        except TimeoutError:
            outcome = "timeout"
        except aiohttp.ClientError:
            outcome = "connection_error"
        now = time.monotonic()
        outcomes[outcome] += 1
        latencies.append(min(now - sent, timeout) if outcome != "timeout" else timeout)
        if outcome == "200":
            success_times.append(now)

    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        started = time.monotonic()
        tasks = []
        for index in range(int(rate * duration)):
            await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
            tasks.append(asyncio.ensure_future(one(session, urls[index % len(urls)])))
        await asyncio.gather(*tasks)
    window_start, window_end = started + warmup, started + duration
    in_window = sum(1 for t in success_times if window_start <= t < window_end)
    latencies.sort()
    return {"sent": len(tasks), "outcomes": dict(outcomes), "replicas": len(urls),
            "success_per_second": in_window / (window_end - window_start),
            "p50_seconds": percentile(latencies, 0.5), "p99_seconds": percentile(latencies, 0.99),
            "max_seconds": latencies[-1] if latencies else None}


async def closed_loop(host: str, port: int, path: str, connections: int, duration: float) -> dict:
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    answered: Counter = Counter()
    stop_at = time.monotonic() + duration

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.monotonic() < stop_at:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                answered[head.split(b" ", 2)[1].decode()] += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.monotonic() - started
    return {"answered": dict(answered), "seconds": elapsed,
            "requests_per_second": sum(answered.values()) / elapsed}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="base URL, e.g. http://kv:8080")
    parser.add_argument("--path", default="/v1/work")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--rate", type=float, help="open loop: requests per second")
    parser.add_argument("--connections", type=int, help="closed loop: keep-alive connections")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds left out of success_per_second")
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.duration > 600:
        parser.error("--duration is capped at 600 s: every load run must stop by itself")
    if args.rate:
        result = asyncio.run(open_loop(replica_urls(args.url), args.path, args.rate, args.duration,
                                       args.timeout, args.method, args.warmup))
    elif args.connections:
        parts = urllib.parse.urlsplit(args.url)
        result = asyncio.run(closed_loop(parts.hostname, parts.port or 80, args.path, args.connections,
                                         args.duration))
    else:
        parser.error("give --rate (open loop) or --connections (closed loop)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
