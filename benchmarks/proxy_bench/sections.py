"""The measurements, each returning rows for the report and notes beside them."""

from __future__ import annotations

import asyncio
import os
import resource
import time
from pathlib import Path

from benchmarks.proxy_bench.native import (
    BareRelay,
    HAProxy,
    Iperf3Server,
    NginxOrigin,
    iperf3_stream,
    wrk_setups,
)
from benchmarks.proxy_bench.peers import (
    connection_surge,
    echo,
    endless_source,
    jain,
    percentile,
    port_of,
    round_trip_latencies,
    serve,
    stream_rates,
)
from benchmarks.proxy_bench.targets import Nginx, ProxyProcess, TbfNamespace, descriptors, rss_bytes

RATES = [1e6, 10e6, 50e6]
# The device under test gets a core to itself; the load and the far end share the other.
DEVICE_CPUS, LOAD_CPUS = {0}, {1}
SETUPS_TARGET, THROUGHPUT_SHARE_TARGET, HAPROXY_SHARE_TARGET = 5000, 0.5, 0.5
STREAMS = [1, 10, 100]
CHUNK = 65536


def default_burst(rate: float) -> int:
    return max(4 * CHUNK, int(rate * 0.02))  # the proxy's own default


def shaping_row(target: str, rate: float, streams: int, rates: list[float]) -> dict:
    achieved = sum(rates)
    return {"target": target, "configured MB/s": rate / 1e6, "streams": streams,
            "achieved MB/s": round(achieved / 1e6, 3), "error %": round(100 * (achieved - rate) / rate, 2),
            "Jain": round(jain(rates), 4) if streams > 1 else None}


async def shaping(seconds: float, warmup: float) -> tuple[list[dict], list[str]]:
    rows, notes = [], []
    source = await serve(endless_source)
    async with ProxyProcess() as proxy:
        port = await proxy.link("bench", port_of(source))
        for rate in RATES:
            await proxy.device("border", {"downstream": {"bytes_per_second": rate,
                                                         "burst_bytes": default_burst(rate)}})
            for streams in STREAMS:
                rates = await stream_rates("127.0.0.1", port, streams, warmup, seconds)
                rows.append(shaping_row("stormlab proxy", rate, streams, rates))
                await asyncio.sleep(0.3)
    source.close()
    missing = TbfNamespace.missing()
    if missing:
        notes.append(f"tc tbf reference not measured: {missing}")
        return rows, notes
    with TbfNamespace() as namespace:
        for rate in RATES:
            namespace.shape(rate, default_burst(rate))
            for streams in STREAMS:
                port = 20000 + streams
                server = namespace.source(port, warmup + seconds + 5)
                try:
                    rates = await stream_rates(TbfNamespace.NS_IP, port, streams, warmup, seconds)
                finally:
                    server.terminate()
                    server.wait(5)
                rows.append(shaping_row("tc tbf (kernel)", rate, streams, rates))
    return rows, notes


async def connections(seconds: float, warmup: float) -> tuple[list[dict], list[str]]:
    """A surge of 10x the setup rate; then a table limit under a surge of held connections."""
    limit, table = 200, 100
    rows = []
    upstream = await serve(echo)
    async with ProxyProcess() as proxy:
        port = await proxy.link("bench", port_of(upstream))
        await proxy.device("border", {"connections": {"new_per_second": limit, "backlog": 1024,
                                                      "backlog_timeout_seconds": 1.0}})
        accepted_total = "stormlab_proxy_connection_attempts_total"
        loop = asyncio.get_running_loop()
        surge = asyncio.ensure_future(
            connection_surge("127.0.0.1", port, 10 * limit, warmup + seconds + 1, hold=0.0))
        await asyncio.sleep(warmup)
        before, started = await proxy.metric(accepted_total, outcome="accepted"), loop.time()
        await asyncio.sleep(seconds)
        after, elapsed = await proxy.metric(accepted_total, outcome="accepted"), loop.time() - started
        counts = await surge
        accepted = (after - before) / elapsed
        rows.append({"measure": "accepted connections/s under a 10x surge", "limit": limit,
                     "offered": 10 * limit, "measured": round(accepted, 1),
                     "error %": round(100 * (accepted - limit) / limit, 2),
                     "detail": f"{counts['forwarded']} forwarded, {counts['failed']} turned away"})

        await proxy.device("border", {"connections": {"max_active": table, "backlog": 1024,
                                                      "backlog_timeout_seconds": 1.0}})
        peak, stop = 0, asyncio.Event()

        async def watch() -> None:
            nonlocal peak
            while not stop.is_set():
                state = (await proxy.call("GET", "/devices/border"))["state"]
                peak = max(peak, state["active_connections"])
                await asyncio.sleep(0.005)

        watcher = asyncio.ensure_future(watch())
        counts = await connection_surge("127.0.0.1", port, 1000, min(seconds, 5), hold=0.5)
        stop.set()
        await watcher
        rows.append({"measure": "connection table: most active at once", "limit": table,
                     "offered": "1000/s held 0.5 s", "measured": peak, "error %": None,
                     "detail": f"{counts['forwarded']} forwarded, {counts['failed']} turned away"})
    upstream.close()
    return rows, []


async def overhead(seconds: float, warmup: float) -> tuple[list[dict], list[str]]:
    """No limits: single-stream throughput and small round trips at 1,000/s, side by side."""
    notes = []
    source, responder = await serve(endless_source), await serve(echo)
    targets: dict[str, tuple[int, int]] = {"direct": (port_of(source), port_of(responder))}
    async with ProxyProcess() as proxy:
        targets["stormlab proxy"] = (await proxy.link("stream", port_of(source)),
                                     await proxy.link("small", port_of(responder)))
        nginx = None
        if Nginx.missing():
            notes.append(f"nginx not measured: {Nginx.missing()}")
        else:
            nginx, nginx_small = Nginx(port_of(source)), Nginx(port_of(responder))
            targets["nginx stream"] = (nginx.port, nginx_small.port)
        rows = []
        try:
            for name, (stream_port, small_port) in targets.items():
                (rate,) = await stream_rates("127.0.0.1", stream_port, 1, warmup, seconds)
                latencies = await round_trip_latencies("127.0.0.1", small_port, 1000, seconds)
                rows.append({"path": name, "single stream MB/s": round(rate / 1e6, 1),
                             "p50 ms": round(percentile(latencies, 0.5) * 1e3, 3),
                             "p99 ms": round(percentile(latencies, 0.99) * 1e3, 3)})
        finally:
            if nginx is not None:
                nginx.stop()
                nginx_small.stop()
    direct = rows[0]
    for row in rows:
        row["added p50 ms"] = round(row["p50 ms"] - direct["p50 ms"], 3)
        row["added p99 ms"] = round(row["p99 ms"] - direct["p99 ms"], 3)
    source.close()
    responder.close()
    return rows, notes


async def idle_connections(count: int) -> tuple[list[dict], list[str]]:
    """``count`` idle connections held through one proxy process: memory and descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    notes = [f"descriptor limit on this machine: soft {soft}, hard {hard} (raised to {hard} for the run)"]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the proxy process inherits it
    if 2 * count + 200 > hard:
        notes.append(f"{count} connections need {2 * count} descriptors per process; the limit is {hard}")
    upstream = await serve(echo)
    async with ProxyProcess() as proxy:
        port = await proxy.link("idle", port_of(upstream))
        await asyncio.sleep(0.5)
        base_rss, base_fds = rss_bytes(proxy.pid), descriptors(proxy.pid)
        held = []

        async def open_one():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"x")
            await reader.readexactly(1)  # forwarded: both sides are established
            held.append(writer)

        for start in range(0, count, 500):
            await asyncio.gather(*(open_one() for _ in range(min(500, count - start))))
        await asyncio.sleep(1)
        rss, fds = rss_bytes(proxy.pid), descriptors(proxy.pid)
        for writer in held:
            writer.close()
        loop, deadline = asyncio.get_running_loop(), asyncio.get_running_loop().time() + 20
        while descriptors(proxy.pid) > base_fds and loop.time() < deadline:
            await asyncio.sleep(0.2)
        after_fds = descriptors(proxy.pid)
    upstream.close()
    per_connection = (rss - base_rss) / count
    return [{"connections": count, "proxy RSS MB (baseline)": round(base_rss / 1e6, 1),
             "proxy RSS MB (held)": round(rss / 1e6, 1), "KB per connection": round(per_connection / 1024, 2),
             "descriptors baseline / held / after": f"{base_fds} / {fds} / {after_fds}"}], notes


async def setups(seconds: float, warmup: float) -> tuple[list[dict], list[str]]:
    """Connection setups/s with no limits, each connection carrying one HTTP request and its
    response (wrk, ``Connection: close``) to an nginx origin: through the proxy (on uvloop and
    on asyncio's loop), nginx's stream module and HAProxy, each on one core, and direct."""
    notes = []
    for missing in (NginxOrigin.missing(), HAProxy.missing()):
        if missing:
            return [], [f"setups not measured: {missing}"]
    rows = []
    with NginxOrigin(LOAD_CPUS) as origin:
        async def through(name: str, port: int, pid: int | None) -> None:
            wrk_setups(port, warmup, LOAD_CPUS)  # warm-up: caches, the loop's first allocations
            cpu_before = cpu_split(pid) if pid else None
            started = time.monotonic()
            result = await asyncio.to_thread(wrk_setups, port, seconds, LOAD_CPUS)
            elapsed = time.monotonic() - started
            row = {"path": name, "setups/s": round(result["per_second"])}
            if pid:
                (user_after, kernel_after), (user_before, kernel_before) = cpu_split(pid), cpu_before
                user, kernel = user_after - user_before, kernel_after - kernel_before
                setups = max(1.0, result["per_second"] * elapsed)
                row.update({"device CPU (one core = 100%)": f"{(user + kernel) / elapsed:.0%}",
                            "us per setup, user": round(user / setups * 1e6),
                            "us per setup, kernel": round(kernel / setups * 1e6)})
            else:
                row.update({"device CPU (one core = 100%)": "", "us per setup, user": "",
                            "us per setup, kernel": ""})
            rows.append({**row, "errors": result["socket_errors"] + result["non_2xx"]})

        await through("direct (no device)", origin.port, None)
        for event_loop in ("uvloop", "asyncio"):
            async with ProxyProcess(DEVICE_CPUS, event_loop) as proxy:
                port = await proxy.link("setups", origin.port)
                await through(f"stormlab proxy ({event_loop})", port, proxy.pid)
        with BareRelay(origin.port, DEVICE_CPUS) as relay:
            await through("bare uvloop relay (the floor for Python)", relay.port, relay.pid)
        if not Nginx.missing():
            with Nginx(origin.port, DEVICE_CPUS) as nginx:
                await through("nginx stream (1 worker)", nginx.port, nginx.process.pid)
        else:
            notes.append(f"nginx stream not measured: {Nginx.missing()}")
        with HAProxy(origin.port, DEVICE_CPUS) as haproxy:
            await through("HAProxy, mode tcp (1 thread)", haproxy.port, haproxy.pid)
    haproxy_rate = next(row["setups/s"] for row in rows if row["path"].startswith("HAProxy"))
    for row in rows:
        row["vs HAProxy"] = f"{row['setups/s'] / haproxy_rate:.2f}"
    ours = next(row["setups/s"] for row in rows if row["path"] == "stormlab proxy (uvloop)")
    notes.append(f"stormlab proxy on uvloop: {ours:,} setups/s (target at least {SETUPS_TARGET:,}), "
                 f"{ours / haproxy_rate:.0%} of HAProxy's (target at least {HAPROXY_SHARE_TARGET:.0%})")
    notes.append("wrk and the origin share the other core: where a device is faster than they are, "
                 "its figure is theirs (the direct row shows their ceiling)")
    # The kernel's part is the two TCP connections' handshakes, data and teardowns over loopback,
    # which every device pays: it bounds what any of them can reach on one core.
    haproxy_kernel = next(row["us per setup, kernel"] for row in rows if row["path"].startswith("HAProxy"))
    if haproxy_kernel:
        notes.append(f"HAProxy's kernel time alone, {haproxy_kernel} us per setup, bounds any device on "
                     f"one core to {1e6 / haproxy_kernel:,.0f} setups/s at no user time at all")
    return rows, notes


async def throughput(seconds: float, warmup: float) -> tuple[list[dict], list[str]]:
    """One TCP stream with no limits, iperf3 at both ends: direct over loopback, and through
    each device on a core of its own."""
    if Iperf3Server.missing():
        return [], [f"throughput not measured: {Iperf3Server.missing()}"]
    rows, notes = [], []
    with Iperf3Server(LOAD_CPUS) as server:
        async def through(name: str, port: int, cpus) -> None:
            rate = await asyncio.to_thread(iperf3_stream, port, seconds, cpus, warmup)
            rows.append({"path": name, "MB/s": round(rate / 1e6)})

        await through("direct, iperf3 over loopback (ends on two cores)", server.port, None)
        await through("direct, iperf3 over loopback (ends on one core)", server.port, LOAD_CPUS)
        for event_loop in ("uvloop", "asyncio"):
            async with ProxyProcess(DEVICE_CPUS, event_loop) as proxy:
                port = await proxy.link("stream", server.port)
                await through(f"stormlab proxy ({event_loop})", port, LOAD_CPUS)
        if not Nginx.missing():
            with Nginx(server.port, DEVICE_CPUS) as nginx:
                await through("nginx stream (1 worker)", nginx.port, LOAD_CPUS)
        if not HAProxy.missing():
            with HAProxy(server.port, DEVICE_CPUS) as haproxy:
                await through("HAProxy, mode tcp (1 thread)", haproxy.port, LOAD_CPUS)
    direct = max(row["MB/s"] for row in rows[:2])
    for row in rows:
        row["vs direct"] = f"{row['MB/s'] / direct:.2f}"
    ours = next(row["MB/s"] for row in rows if row["path"] == "stormlab proxy (uvloop)")
    notes.append(f"stormlab proxy on uvloop: {ours:,} MB/s, {ours / direct:.0%} of direct loopback's "
                 f"best ({direct:,} MB/s; target at least {THROUGHPUT_SHARE_TARGET:.0%})")
    return rows, notes


def cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (nginx's worker is its master's child)."""
    return sum(cpu_split(pid))


def cpu_split(pid: int) -> tuple[float, float]:
    """User and kernel CPU seconds of ``pid`` and its children."""
    user = kernel = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
            kernel += int(fields[12]) / os.sysconf("SC_CLK_TCK")
    return user, kernel
