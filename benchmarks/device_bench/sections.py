"""What `make bench-device` measures on each device, over the same three namespaces:
shaping, setups under a surge, the connection table, and what the device adds to a path.

Every figure is counted outside the device where it can be: payload at the clients' sockets,
bytes on the wire at the clients' interface, connections at the service. The device's own
count stands beside it. Both devices are configured through the same API with the same
bodies; every load is bounded in count and in time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from benchmarks.device_bench import services as served
from benchmarks.device_bench.devices import DEVICE, DeviceProcess
from benchmarks.device_bench.services import ServicesProcess
from benchmarks.device_bench.topology import DEVICE_CLIENTS_ADDRESS, SERVICE_ADDRESS
from benchmarks.proxy_bench.peers import (
    connection_surge,
    jain,
    percentile,
    round_trip_latencies,
    stream_rates,
)
from stormlab_common import metric_names as names

RATES = [1e6, 10e6, 50e6]  # bytes per second
STREAMS = [1, 10, 100]
CHUNK = 65536
SETUP_LIMIT, SURGE_FACTOR = 200, 10
TABLE_LIMIT, TABLE_OFFERED, TABLE_HOLD = 100, 1000, 0.5
ROUND_TRIPS_PER_SECOND = 1000
# The payload a shaped device lets through, against the configured rate: the proxy's own figure
# (issue 3, 14) and the kernel device's (issue 13).
SHAPING_TOLERANCE = {"proxy": 0.02, "kernel": 0.03}
SETUP_TOLERANCE = 0.05

# Each link's listening port at the device, and where it leads.
LINKS = {"stream": (9001, f"{SERVICE_ADDRESS}:{served.SOURCE_PORT}"),
         "small": (9002, f"{SERVICE_ADDRESS}:{served.ECHO_PORT}"),
         "counted": (9003, f"{SERVICE_ADDRESS}:{served.COUNTED_PORT}")}


@dataclass(frozen=True)
class Check:
    what: str
    held: bool


def shaping_buffer(rate: float) -> int:
    """100 ms of queue at the rate, as a router's buffer is sized, and at least two GSO packets.
    (The contract's default, 4 MiB, is 4 s at 1 MB/s: the kernel's 100 TCP flows then time out
    and resend while their data is still queued, and the duplicates take the rate's share:
    BUFFERBLOAT_CASE shows it.)"""
    return max(2 * CHUNK, int(rate * 0.1))


def default_burst(rate: float) -> int:
    return max(4 * CHUNK, int(rate * 0.02))  # the proxy's own default, sent to both


async def own_meter(device: DeviceProcess) -> float:
    """The bytes the device's shaping has metered downstream: the proxy's payload, the kernel
    device's htb class (each segment with its headers)."""
    name = names.PROXY_BYTES if device.kind == "proxy" else names.ROUTER_SHAPED_BYTES
    return await device.metric(name, direction=names.DOWNSTREAM)


async def metered_rate(device: DeviceProcess, warmup: float, seconds: float) -> float:
    """The device's own meter, bytes per second over the same window as the streams'."""
    await asyncio.sleep(warmup)
    before, started = await own_meter(device), time.monotonic()
    await asyncio.sleep(seconds)
    return (await own_meter(device) - before) / (time.monotonic() - started)


BUFFERBLOAT_CASE = (1e6, 100)  # shown with the contract's default buffer, not judged


async def shaped_case(device: DeviceProcess, rate: float, streams: int, buffer_bytes: int | None,
                      seconds: float, warmup: float) -> tuple[dict, bool]:
    limits = {"bytes_per_second": rate, "burst_bytes": default_burst(rate)}
    if buffer_bytes is not None:
        limits["buffer_bytes"] = buffer_bytes
    await device.limit({"downstream": limits})
    buffer = (await device.call("GET", f"/devices/{DEVICE}"))["config"]["downstream"]["buffer_bytes"]
    rates, metered = await asyncio.gather(
        stream_rates(DEVICE_CLIENTS_ADDRESS, LINKS["stream"][0], streams, warmup, seconds),
        metered_rate(device, warmup, seconds))
    await asyncio.sleep(0.5)  # the window's queues drain
    payload, tolerance = sum(rates), SHAPING_TOLERANCE[device.kind]
    error = (payload - rate) / rate
    held = abs(error) <= tolerance
    return {"device": device.kind, "configured MB/s": rate / 1e6, "streams": streams,
            "buffer KB": round(buffer / 1024), "payload MB/s": round(payload / 1e6, 3),
            "device's own meter MB/s": round(metered / 1e6, 3), "error %": round(100 * error, 2),
            "Jain": round(jain(rates), 3) if streams > 1 else None,
            "tolerance %": round(100 * tolerance, 1), "within": "yes" if held else "NO"}, held


async def shaping(device: DeviceProcess, seconds: float, warmup: float) -> tuple[list[dict], list[Check]]:
    rows, checks = [], []
    for rate in RATES:
        for streams in STREAMS:
            row, held = await shaped_case(device, rate, streams, shaping_buffer(rate), seconds, warmup)
            rows.append(row)
            checks.append(Check(f"{device.kind} shaping {rate / 1e6:g} MB/s x {streams}", held))
    row, _ = await shaped_case(device, *BUFFERBLOAT_CASE, None, seconds, warmup)
    rows.append({**row, "within": f"({row['within']}: not judged, the default buffer)"})
    return rows, checks


async def passed_setups(device: DeviceProcess) -> float:
    """The device's own count of setups it let through: the proxy's accepted connections; the
    SYNs the kernel device's setup queue passed (a client kernel's retransmitted SYN included)."""
    if device.kind == "kernel":
        return (await device.call("GET", f"/devices/{DEVICE}"))["state"]["setup_queue"]["passed"]
    return await device.metric(names.PROXY_CONNECTION_ATTEMPTS, outcome="accepted")


async def setups(device: DeviceProcess, services: ServicesProcess, seconds: float,
                 warmup: float) -> tuple[list[dict], list[Check]]:
    """A surge of 10x the setup rate, open loop, each attempt one round trip; counted at the
    service over a window after the first second's burst."""
    await device.limit({"connections": {"new_per_second": SETUP_LIMIT, "backlog": 1024,
                                        "backlog_timeout_seconds": 1.0}})
    offered = SURGE_FACTOR * SETUP_LIMIT
    loop = asyncio.get_running_loop()
    surge = asyncio.ensure_future(connection_surge(DEVICE_CLIENTS_ADDRESS, LINKS["counted"][0], offered,
                                                   warmup + seconds + 1, hold=0.0))
    await asyncio.sleep(warmup)
    started, passed_before = loop.time(), await passed_setups(device)
    await asyncio.sleep(seconds)
    ended, passed_after = loop.time(), await passed_setups(device)
    counts = await surge
    at_service = services.arrivals_between(started, ended) / (ended - started)
    counted = (passed_after - passed_before) / (ended - started)
    error = (at_service - SETUP_LIMIT) / SETUP_LIMIT
    held = abs(error) <= SETUP_TOLERANCE
    row = {"device": device.kind, "limit /s": SETUP_LIMIT, "offered /s": offered,
           "at the service /s": round(at_service, 1), "device-counted /s": round(counted, 1),
           "error %": round(100 * error, 2), "within 5%": "yes" if held else "NO",
           "attempts": f"{counts['forwarded']} forwarded, {counts['failed']} gave up after 3 s"}
    return [row], [Check(f"{device.kind} setups under a {SURGE_FACTOR}x surge", held)]


async def table(device: DeviceProcess, services: ServicesProcess,
                seconds: float) -> tuple[list[dict], list[Check]]:
    """Connections held 0.5 s each, offered at 10x what the table holds: the most open at once,
    at the service (every change seen) and in the device's own state (polled every 5 ms)."""
    await device.limit({"connections": {"max_active": TABLE_LIMIT}})
    await asyncio.sleep(1.5)  # the setups section's connections have closed
    services.reset_peak()
    device_peak, stop = 0, asyncio.Event()

    async def watch() -> None:
        nonlocal device_peak
        while not stop.is_set():
            device_peak = max(device_peak, await device.active_connections())
            await asyncio.sleep(0.005)

    watcher = asyncio.ensure_future(watch())
    counts = await connection_surge(DEVICE_CLIENTS_ADDRESS, LINKS["counted"][0], TABLE_OFFERED,
                                    min(seconds, 5.0), hold=TABLE_HOLD)
    stop.set()
    await watcher
    peak = services.most_open()
    # judged at the service, where every open and close is counted in order; the kernel device's
    # own figure walks conntrack's table while it changes, and counts a closing connection's
    # LAST_ACK entry, so it can read one over (docs/devices/bench.md)
    held = peak <= TABLE_LIMIT
    row = {"device": device.kind, "limit": TABLE_LIMIT, "offered": f"{TABLE_OFFERED}/s held {TABLE_HOLD} s",
           "most open at the service": peak, "most in the device's state": device_peak,
           "never exceeded": "yes" if held else "NO",
           "attempts": f"{counts['forwarded']} forwarded, {counts['failed']} turned away"}
    return [row], [Check(f"{device.kind} connection table never exceeded", held)]


async def path(name: str, host: str, stream_port: int, echo_port: int, seconds: float,
               warmup: float) -> dict:
    """No limits: one stream's throughput, and small round trips at 1,000/s over 10 connections."""
    (rate,) = await stream_rates(host, stream_port, 1, warmup, seconds)
    latencies = await round_trip_latencies(host, echo_port, ROUND_TRIPS_PER_SECOND, seconds)
    return {"path": name, "single stream MB/s": round(rate / 1e6, 1),
            "p50 ms": round(percentile(latencies, 0.5) * 1e3, 3),
            "p99 ms": round(percentile(latencies, 0.99) * 1e3, 3), "round trips": len(latencies)}


def with_added_latency(rows: list[dict]) -> list[dict]:
    direct = rows[0]
    for row in rows:
        row["added p50 ms"] = round(row["p50 ms"] - direct["p50 ms"], 3)
        row["added p99 ms"] = round(row["p99 ms"] - direct["p99 ms"], 3)
    return rows
