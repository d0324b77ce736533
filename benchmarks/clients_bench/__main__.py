"""`make bench-clients` (or `python -m benchmarks.clients_bench`): the clients' figures.

- fidelity: 20 clients x 5 requests/s against a service taking 2 s (10x the gap between a
  client's arrivals). The open-loop clients must arrive at 100/s within 3%; a closed-loop
  locust user aiming at the same rate collapses to what the service's latency allows.
- capacity: the attempts/s one locust worker process sustains on one core with its metrics
  on, against a service that answers at once (on the other core), offered more than it can
  send; with kept-alive connections and with a connection per attempt.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiohttp import web

from benchmarks.markdown import markdown_table
from benchmarks.proxy_bench.native import NginxOrigin

ROOT = Path(__file__).resolve().parents[2]
LOADGEN_CPU, SERVICE_CPU = 0, 1
PEER_OFFERED = 8000
WRK = "wrk (1 thread, 50 connections)"
OFFERED = tuple(int(n) for n in os.environ.get("STORMLAB_BENCH_OFFERED", "1000 2000 4000 6000 8000").split())


class CountingService:
    """GET /v1/work: sleeps ``delay`` then answers; records every arrival's time."""

    def __init__(self, delay: float):
        self.delay = delay
        self.arrivals: list[float] = []

    async def work(self, request: web.Request) -> web.Response:
        self.arrivals.append(time.monotonic())
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(body=b"ok")

    def rate_between(self, start: float, end: float) -> float:
        return sum(1 for t in self.arrivals if start <= t < end) / (end - start)


async def serve(service: CountingService) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_get("/v1/work", service.work)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_locust(locustfile: str, users: int, seconds: float, env: dict, *extra: str) -> subprocess.Popen:
    def pin():
        os.sched_setaffinity(0, {LOADGEN_CPU})

    return subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", locustfile, "--headless", "-u", str(users), "-r", str(users),
         "--run-time", f"{int(seconds)}s", "--only-summary", *extra],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=pin)


def our_clients(port: int, per_second: float, reuse: bool | None = None, in_flight: int = 1000) -> dict:
    env = {"STORMLAB_LOADGEN_TARGETS__API__URL": f"http://127.0.0.1:{port}",
           "STORMLAB_LOADGEN_METRICS_PORT": str(free_port()),
           "STORMLAB_LOADGEN_ARRIVALS__PROCESS": "periodic",
           "STORMLAB_LOADGEN_ARRIVALS__REQUESTS_PER_SECOND": str(per_second),
           "STORMLAB_LOADGEN_MAX_ATTEMPTS_PER_SECOND": "1000000",
           "STORMLAB_LOADGEN_MAX_IN_FLIGHT_PER_CLIENT": str(in_flight),
           "STORMLAB_LOADGEN_SEED": "1",
           "STORMLAB_LOADGEN_CLIENTS__DEFAULT__POLICY__NAME": "none"}
    if reuse is not None:
        env["STORMLAB_LOADGEN_CLIENTS__DEFAULT__REUSE_CONNECTIONS"] = "true" if reuse else "false"
    return env


async def measure(service: CountingService, process: subprocess.Popen, warmup: float, seconds: float,
                  cpu_of: int | None = None) -> tuple[float, float | None]:
    """Arrivals/s at the service over the window, and the locust process's CPU share in it."""
    await asyncio.sleep(warmup)
    start, cpu0 = time.monotonic(), _cpu_seconds(process.pid)
    await asyncio.sleep(seconds)
    end, cpu1 = time.monotonic(), _cpu_seconds(process.pid)
    await asyncio.get_running_loop().run_in_executor(None, process.wait, 120)
    cpu = (cpu1 - cpu0) / (end - start) if cpu0 is not None and cpu1 is not None else None
    return service.rate_between(start, end), cpu


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fidelity(seconds: float) -> list[dict]:
    clients, per_client, delay = 20, 5.0, 2.0
    target = clients * per_client
    rows = []
    for name in ("stormlab clients (open loop)", "locust HttpUser, constant_pacing(0.2) (closed loop)"):
        service = CountingService(delay)
        runner, port = await serve(service)
        if "open" in name:
            process = start_locust("loadgen/locustfile.py", clients, seconds + 8,
                                   our_clients(port, per_client))
        else:
            process = start_locust("benchmarks/clients_bench/closed_loop_locustfile.py", clients,
                                   seconds + 8, {}, "--host", f"http://127.0.0.1:{port}")
        rate, _ = await measure(service, process, 5.0, seconds)
        await runner.cleanup()
        rows.append({"client": name, "target req/s": target, "service latency s": delay,
                     "achieved req/s": round(rate, 1), "error %": round(100 * (rate - target) / target, 2)})
    return rows


async def capacity(seconds: float) -> list[dict]:
    """Offered rates up and past the process's capacity, against an nginx origin that answers at
    once (on the other core; it counts what arrives). Each client keeps at most 4 requests in
    flight: beyond what the process can send, arrivals are dropped (cheaply) rather than piling
    up greenlets and sockets that would measure the pile, not the generator."""
    clients = 50
    rows = []
    with NginxOrigin({SERVICE_CPU}) as origin:
        for label, reuse in [("kept-alive", True), ("one per attempt", False)]:
            for offered in OFFERED:
                env = our_clients(origin.port, offered / clients, reuse, in_flight=4)
                process = start_locust("loadgen/locustfile.py", clients, seconds + 8, env)
                rate, cpu = await measure_origin(origin, process, 5.0, seconds)
                rows.append({"connections": label, "offered attempts/s": offered,
                             "sent attempts/s": round(rate),
                             "locust process CPU (one core = 100%)": _share(cpu)})
    return rows


async def peers(seconds: float) -> list[dict]:
    """What else sends to the same origin from one core, as fast as it can (closed loops, so an
    upper bound on attempts/s, not an open loop): locust's FastHttpUser and wrk; and ours at an
    offered rate beyond what it can send."""
    rows = []
    with NginxOrigin({SERVICE_CPU}) as origin:
        for label, close in [("kept-alive", False), ("one per attempt", True)]:
            found = {}
            env = {"STORMLAB_BENCH_CONNECTION_CLOSE": "1" if close else "0"}
            process = start_locust("benchmarks/clients_bench/fast_http_locustfile.py", 50, seconds + 8, env,
                                   "--host", f"http://127.0.0.1:{origin.port}")
            found["locust FastHttpUser (50 users, no wait)"] = await measure_origin(
                origin, process, 5.0, seconds)
            process = start_locust("loadgen/locustfile.py", 50, seconds + 8,
                                   our_clients(origin.port, PEER_OFFERED / 50, not close, in_flight=4))
            found[f"stormlab clients (50, offered {PEER_OFFERED:,}/s)"] = await measure_origin(
                origin, process, 5.0, seconds)
            found[WRK] = await asyncio.to_thread(wrk_rate, origin, seconds, close)
            best = found[WRK][0]
            for client, (rate, cpu) in found.items():
                rows.append({"connections": label, "client": client, "attempts/s": round(rate),
                             "client CPU (one core = 100%)": _share(cpu),
                             "vs wrk": f"{rate / best:.2f}"})
    return rows


def _share(cpu: float | None) -> str:
    return f"{cpu:.0%}" if cpu is not None else "?"


def wrk_rate(origin: NginxOrigin, seconds: float, close: bool) -> tuple[float, float | None]:
    """wrk pinned to the clients' core: the origin's count over its run, and its CPU share."""
    headers = ["-H", "Connection: close"] if close else []
    process = subprocess.Popen(["wrk", "-t1", "-c50", f"-d{int(seconds + 5)}s", *headers,
                                f"http://127.0.0.1:{origin.port}/"], stdout=subprocess.DEVNULL,
                               preexec_fn=lambda: os.sched_setaffinity(0, {LOADGEN_CPU}))
    return asyncio.run(measure_origin(origin, process, 5.0, seconds))


async def measure_origin(origin: NginxOrigin, process: subprocess.Popen, warmup: float,
                         seconds: float) -> tuple[float, float | None]:
    """Requests/s the origin answered over the window, and the locust process's CPU share in it."""
    await asyncio.sleep(warmup)
    start, cpu0, count0 = time.monotonic(), _cpu_seconds(process.pid), origin.requests()
    await asyncio.sleep(seconds)
    end, cpu1, count1 = time.monotonic(), _cpu_seconds(process.pid), origin.requests()
    await asyncio.get_running_loop().run_in_executor(None, process.wait, 120)
    cpu = (cpu1 - cpu0) / (end - start) if cpu0 is not None and cpu1 is not None else None
    return (count1 - count0 - 1) / (end - start), cpu


async def run(args) -> None:
    os.sched_setaffinity(0, {SERVICE_CPU})  # the services here; locust on the other core
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # locust inherits it
    print(f"# clients benchmark, {time.strftime('%Y-%m-%d %H:%M')}: {os.cpu_count()} cores, "
          f"window {args.seconds} s, locust on CPU {LOADGEN_CPU}, the service on CPU {SERVICE_CPU}\n")
    for name in args.only:
        started = time.monotonic()
        rows = await {"fidelity": fidelity, "capacity": capacity, "peers": peers}[name](args.seconds)
        print(f"## {name} ({time.monotonic() - started:.0f} s)\n\n{markdown_table(rows)}\n", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clients_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=["fidelity", "capacity", "peers"],
                        default=["fidelity", "capacity", "peers"])
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window (default 20)")
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    if (os.cpu_count() or 1) < 2:
        parser.error("needs two cores: one for the clients, one for the service")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
