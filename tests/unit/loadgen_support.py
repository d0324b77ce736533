"""What the tests of the locustfile share: real locust in a subprocess, a real HTTP service on
port 0, and polling with an explicit bound."""

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    # locust's metrics server cannot report a port-0 binding back to us, so pick one first.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def service(aiohttp_server, delay: float):
    served = {"requests": 0, "attempt_headers": set()}

    async def work(request):
        served["requests"] += 1
        served["attempt_headers"].add(request.headers.get("X-Attempt"))
        await asyncio.sleep(delay)
        return web.Response(body=b"ok")

    app = web.Application()
    app.router.add_get("/v1/work", work)
    return await aiohttp_server(app), served


async def run_locust(env_overrides, *args, output=asyncio.subprocess.PIPE):
    env = {**os.environ, **env_overrides}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "locust", "-f", "loadgen/locustfile.py", *args,
        cwd=ROOT, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT)


async def run_headless(env_overrides, *args):
    return await run_locust(env_overrides, "--headless", *args)


async def scrape(port: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as r:
        text = await r.text()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            totals[s.name] = totals.get(s.name, 0.0) + s.value
    return totals


def settings(server, metrics_port, rate):
    return {
        "STORMLAB_LOADGEN_TARGETS__API__URL": f"http://127.0.0.1:{server.port}",
        "STORMLAB_LOADGEN_METRICS_PORT": str(metrics_port),
        "STORMLAB_LOADGEN_ARRIVALS__PROCESS": "periodic",
        "STORMLAB_LOADGEN_ARRIVALS__REQUESTS_PER_SECOND": str(rate),
        "STORMLAB_LOADGEN_SEED": "1",
    }


async def watch(process, metrics_port, seconds):
    """Each series' highest value while the process ran (its endpoint dies with it): the last
    value of a counter, the peak of a gauge."""
    highest: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and process.returncode is None:
        await asyncio.sleep(0.2)
        try:
            sample = await scrape(metrics_port)
        except aiohttp.ClientError:
            continue
        for name, value in sample.items():
            highest[name] = max(value, highest.get(name, value))
    return highest


async def gauge(port: int, name: str) -> dict[str, float]:
    """A gauge's value per policy label, from a process's metrics."""
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as r:
        text = await r.text()
    return {s.labels["policy"]: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == name}


async def until(check, what: str, seconds: float = 30.0):
    """Poll ``check()`` until it returns something true (errors count as not yet); fail after
    ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            value = await check()
        except (aiohttp.ClientError, OSError):
            value = None
        if value:
            return value
        assert loop.time() < deadline, f"no {what} after {seconds} s (last: {value!r})"
        await asyncio.sleep(0.2)


async def equals(value, expected):
    return await value == expected


async def clients_total(gauge_values, count):
    values = await gauge_values
    return sum(values.values()) == count and values


async def at_least(arrived, attempt, count):
    return sum(1 for _, kind in arrived if kind == attempt) >= count


async def stop_all(processes) -> None:
    for process in processes:
        if process.returncode is None:
            process.kill()
        await asyncio.wait_for(process.wait(), 30)


def with_logs(exc: AssertionError, logs) -> AssertionError:
    """``exc`` with the tail of each process's log, for a failure that says why."""
    return AssertionError(f"{exc}\n" + "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs))
