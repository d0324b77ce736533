#!/usr/bin/env python3
"""Capacity accuracy and overhead of one service replica.

Run: ``.venv/bin/python benchmarks/services_capacity.py [--duration 12]``.

For each (W workers, mean service time S, distribution) a replica is started on its own
core (CPU 0; the load runs on CPU 1), its queue bounded at QUEUE_LIMIT requests, and
overloaded with an open loop at 1.5 x W/S (the excess is refused once the queue is full); the
rate it serves at, read from its own counters over the steady part of the run, is
compared with W/S (the target: within +-5%). Then, with zero service time, a closed loop
of keep-alive connections measures how many requests/s the replica serves on one core,
and how busy that core was. Prints a table; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).parent))
from services_load import closed_loop, open_loop  # a sibling script, not a package

ROOT = Path(__file__).resolve().parents[1]
CASES = [  # (workers, mean service time in seconds, distribution)
    (4, 0.05, "fixed"),
    (2, 0.005, "fixed"),
    (16, 0.02, "fixed"),
    (8, 0.02, "lognormal"),
    (64, 0.1, "exponential"),
]
SERVICE_CPU, LOAD_CPU = 0, 1
# Bounded as in the stack's configs: an unbounded pile of thousands of waiting requests
# would make the replica's own CPU (its garbage collector) the limit, not W / S.
QUEUE_LIMIT = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_replica(port: int, workers: int, service_time: float, distribution: str) -> subprocess.Popen:
    settings = {"name": "bench", "replica": "bench", "host": "127.0.0.1", "port": port,
                "capacity.workers": workers, "capacity.queue_limit": QUEUE_LIMIT,
                "work.service_time_seconds": service_time, "work.distribution": distribution,
                "work.response_bytes": 256}
    args = [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]
    return subprocess.Popen([sys.executable, "-m", "services", "--log-level", "WARNING", *args], cwd=ROOT,
                            preexec_fn=lambda: os.sched_setaffinity(0, {SERVICE_CPU}))


async def wait_ready(base: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(base + "/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{base} not ready after {timeout} s")
            await asyncio.sleep(0.1)


async def snapshot(base: str) -> tuple[float, float]:
    """(requests served so far, requests queued now), from the replica's own metrics."""
    async with aiohttp.ClientSession() as session, session.get(base + "/metrics") as response:
        text = await response.text()
    served, queued = "stormlab_service_work_duration_seconds_count", "stormlab_service_queued_requests"
    values = {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples
              if s.name in (served, queued)}
    return values[served], values[queued]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def capacity_case(workers: int, service_time: float, distribution: str, duration: float) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    replica = start_replica(port, workers, service_time, distribution)
    try:
        await wait_ready(base)
        capacity = workers / service_time
        load = asyncio.ensure_future(open_loop([base], "/v1/work", 1.5 * capacity, duration, timeout=60))
        await asyncio.sleep(2.0)  # the queue is building: every worker is busy from here on
        (first, _), first_at = await snapshot(base), time.monotonic()
        await asyncio.sleep(duration - 3.0)
        (last, queued), last_at = await snapshot(base), time.monotonic()
        load.cancel()
        measured = (last - first) / (last_at - first_at)
        # A queue still there at the end shows the replica was overloaded all along (and not
        # starved of load by a load generator that fell behind).
        return {"workers": workers, "service_time": service_time, "distribution": distribution,
                "expected": capacity, "measured": measured, "error": measured / capacity - 1,
                "queued": queued}
    finally:
        replica.terminate()
        replica.wait(timeout=30)


async def overhead_case(connections: int, duration: float) -> dict:
    port = free_port()
    replica = start_replica(port, workers=connections, service_time=0, distribution="fixed")
    try:
        await wait_ready(f"http://127.0.0.1:{port}")
        cpu_before, wall_before = cpu_seconds(replica.pid), time.monotonic()
        result = await closed_loop("127.0.0.1", port, "/v1/work", connections, duration)
        busy = (cpu_seconds(replica.pid) - cpu_before) / (time.monotonic() - wall_before)
        return {**result, "service_cpu": busy}
    finally:
        replica.terminate()
        replica.wait(timeout=30)


async def main(duration: float) -> int:
    os.sched_setaffinity(0, {LOAD_CPU})
    print(f"capacity under overload (open loop at 1.5 x W/S, queue limit {QUEUE_LIMIT}, "
          f"{duration:.0f} s each, measured over {duration - 3:.0f} s once saturated)")
    print(f"{'W':>4} {'S (ms)':>7} {'distribution':>12} {'W/S (req/s)':>12} {'measured':>9} {'error':>7} "
          f"{'queue at end':>12}")
    worst = 0.0
    for workers, service_time, distribution in CASES:
        row = await capacity_case(workers, service_time, distribution, duration)
        worst = max(worst, abs(row["error"]))
        print(f"{workers:>4} {service_time * 1000:>7.1f} {distribution:>12} {row['expected']:>12.1f} "
              f"{row['measured']:>9.1f} {row['error']:>+7.1%} {row['queued']:>12.0f}")
    print(f"worst error: {worst:.1%} (target: within 5%)\n")
    overhead = await overhead_case(connections=32, duration=duration)
    print("overhead: zero service time, 32 keep-alive connections, closed loop")
    print(f"  {overhead['requests_per_second']:.0f} requests/s on one core "
          f"(the replica's process used {overhead['service_cpu']:.0%} of a core); "
          f"answers {overhead['answered']}")
    return 0 if worst <= 0.05 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per case (8 to 120)")
    args = parser.parse_args()
    if not 8 <= args.duration <= 120:  # 5 s of measurement at least: scrapes take time
        parser.error("--duration must be between 8 and 120 s")
    sys.exit(asyncio.run(main(args.duration)))
