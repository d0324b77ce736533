"""The clients, run by real locust in a subprocess against a real HTTP server on port 0."""

import asyncio
import json
import math
import os
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
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


async def test_an_open_loop_keeps_its_rate_when_the_service_is_slow(aiohttp_server):
    # 2 clients x 10 requests/s for 3 s, against a service taking 0.5 s (5x the gap between
    # arrivals): ~60 requests started. A closed loop would manage 2 x 3 / 0.5 = 12.
    server, served = await service(aiohttp_server, delay=0.5)
    metrics_port = free_port()
    process = await run_headless(settings(server, metrics_port, 10), "-u", "2", "-r", "100", "--run-time", "3s")
    seen = await watch(process, metrics_port, 3.0)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    # each request reaches the service as it starts (one attempt each): count them there
    assert 48 <= served["requests"] <= 62, served
    assert seen.get("stormlab_client_in_flight_requests", 0) >= 5  # they pile up, as they should
    assert served["attempt_headers"] == {"1"}  # policy none: first attempts only


async def test_the_population_exports_client_metrics(aiohttp_server):
    server, served = await service(aiohttp_server, delay=0.0)
    metrics_port = free_port()
    process = await run_headless(settings(server, metrics_port, 5), "-u", "2", "-r", "100", "--run-time", "3s")
    seen = await watch(process, metrics_port, 3.0)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    assert seen["stormlab_client_active_clients"] == 2
    assert seen["stormlab_client_attempts_total"] == seen["stormlab_client_requests_total"] > 0
    assert 24 <= served["requests"] <= 32  # 2 x 5/s x 3 s


async def test_bad_config_stops_locust_with_a_clear_message():
    process = await run_headless({"STORMLAB_LOADGEN_CLIENTS__SDK__POLICY__NAME": "full-jitter",
                                "STORMLAB_LOADGEN_CLIENTS__SDK__DEADLINE_SECONDS": "-1"},
                               "-u", "1", "--run-time", "1s")
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "clients.sdk.deadline_seconds: expected a positive number, got -1" in output.decode()


async def test_a_configured_shape_runs_its_clients_and_ends_by_itself(aiohttp_server):
    server, served = await service(aiohttp_server, delay=0.0)
    metrics_port = free_port()
    env = {**settings(server, metrics_port, 5), "STORMLAB_LOADGEN_SHAPE__KIND": "steady",
           "STORMLAB_LOADGEN_SHAPE__CLIENTS": "3", "STORMLAB_LOADGEN_SHAPE__SECONDS": "3"}
    loop = asyncio.get_running_loop()
    started = loop.time()
    process = await run_headless(env)  # no --run-time, no -u: the shape decides, and ends
    seen = await watch(process, metrics_port, 10.0)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    elapsed = loop.time() - started
    assert process.returncode == 0, output.decode()
    assert seen["stormlab_client_active_clients"] == 3
    assert 3 <= elapsed < 3 + 10  # the plan's 3 s, plus locust's start and stop
    assert 30 <= served["requests"] <= 50  # 3 clients x 5/s x ~3 s


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


async def test_a_master_carries_live_config_changes_to_its_workers(aiohttp_server, tmp_path):
    server, _ = await service(aiohttp_server, delay=0.0)
    metrics_port, second_metrics_port, web_port, master_port = (free_port() for _ in range(4))

    def config_file(name, port):
        path = tmp_path / name
        path.write_text(json.dumps({  # JSON is YAML
            "seed": 1, "metrics_port": port, "arrivals": {"process": "periodic", "requests_per_second": 2},
            "targets": {"api": {"url": f"http://127.0.0.1:{server.port}"}}}))
        return {"STORMLAB_LOADGEN_CONFIG": str(path)}

    processes, logs = [], []

    async def start(name, env, *args):
        logs.append(tmp_path / f"{name}.log")
        with logs[-1].open("wb") as output:  # the child keeps its own copy of the descriptor
            processes.append(await run_locust(env, *args, output=output))

    api = f"http://127.0.0.1:{web_port}/stormlab/config"
    worker_args = ("--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port))
    try:
        await start("master", config_file("master.yml", metrics_port), "--master", "--master-bind-host", "127.0.0.1",
                    "--master-bind-port", str(master_port), "--web-host", "127.0.0.1", "--web-port", str(web_port),
                    "--enable-rebalancing")  # a worker joining the run gets users at once
        await start("worker", config_file("worker.yml", metrics_port), *worker_args)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

            async def config():
                async with http.get(api) as answer:
                    assert answer.status == 200
                    return await answer.json()

            async def workers_at(generation, count):
                workers = (await config())["workers"]
                return len(workers) == count and set(workers.values()) == {generation} and workers

            first = await until(lambda: workers_at(0, 1), "worker at generation 0")
            async with http.post(f"http://127.0.0.1:{web_port}/swarm", data={"user_count": 2, "spawn_rate": 100}) as r:
                assert r.status == 200
            await until(lambda: _equal(gauge(metrics_port, "stormlab_client_active_clients"), {"none": 2}),
                        "2 clients under policy none")

            # switch the running clients' policy
            patch = {"clients": {"default": {"policy": {"name": "fixed", "max_attempts": 2}}}}
            async with http.put(api, json=patch) as answer:
                assert answer.status == 200
                body = await answer.json()
            assert (body["generation"], body["patch"]) == (1, patch)
            assert body["config"]["clients"]["default"]["policy"] == {"name": "fixed", "max_attempts": 2}
            assert set(await until(lambda: workers_at(1, 1), "worker at generation 1")) == set(first)
            # it acknowledges after reconfiguring: its clients have moved already
            assert await gauge(metrics_port, "stormlab_client_active_clients") == {"none": 0, "fixed": 2}

            # a bad patch never reaches the workers
            async with http.put(api, json={"clients": {"default": {"policy": {"name": "full-jitter", "max_attempts": 0}}}}) as answer:
                assert answer.status == 400
                refusal = await answer.json()
            assert refusal["problems"] == ["clients.default.policy.max_attempts: expected a number >= 1, got 0"]
            assert (await config())["generation"] == 1

            # a worker that connects later asks for the current config, and gets a user of the
            # running test: no client of its ever ran on the base config (no "none" label)
            await start("late-worker", config_file("late.yml", second_metrics_port), *worker_args)
            await until(lambda: workers_at(1, 2), "both workers at generation 1")
            late = await until(lambda: _clients(gauge(second_metrics_port, "stormlab_client_active_clients"), 1),
                               "a client on the late worker")
            assert late == {"fixed": 1}
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n" + "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)) from None
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
            await asyncio.wait_for(process.wait(), 30)


async def _equal(value, expected):
    return await value == expected


async def _clients(gauge_values, count):
    values = await gauge_values
    return sum(values.values()) == count and values


async def test_clients_that_fetch_on_start_each_send_a_request_the_moment_they_start(aiohttp_server):
    # Arrivals far apart (one per ~3 h): in 2 s no client makes a scheduled request, so what
    # reaches the service is the boot fetch alone, one per client, all within the first moment.
    for fetch_on_start, expected in (("true", 5), ("false", 0)):
        server, served = await service(aiohttp_server, delay=0.0)
        metrics_port = free_port()
        env = {**settings(server, metrics_port, 0.0001), "STORMLAB_LOADGEN_FETCH_ON_START": fetch_on_start,
               "STORMLAB_LOADGEN_ARRIVALS__PROCESS": "poisson"}
        process = await run_headless(env, "-u", "5", "-r", "100", "--run-time", "2s")
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, output.decode()
        assert served["requests"] == expected, (fetch_on_start, served, output.decode()[-2000:])


@pytest.mark.parametrize("mode", ["local", "distributed"])
async def test_locusts_web_port_tells_when_the_clients_sent_first_tries_and_retries(aiohttp_server, tmp_path, mode):
    # Every first try is shed and every retry served (policy fixed, 2 attempts, 0.2 s apart):
    # the service's own log of arrivals is what the timeline must count, slot by slot.
    arrived = []  # (wall-clock time, X-Attempt)

    async def work(request):
        attempt = request.headers["X-Attempt"]
        arrived.append((time.time(), attempt))
        return web.Response(status=503 if attempt == "1" else 200)

    app = web.Application()
    app.router.add_get("/v1/work", work)
    server = await aiohttp_server(app)
    metrics_port, web_port, master_port = (free_port() for _ in range(3))
    config = tmp_path / "loadgen.yml"
    config.write_text(json.dumps({
        "seed": 1, "metrics_port": metrics_port, "arrivals": {"process": "periodic", "requests_per_second": 5},
        "targets": {"api": {"url": f"http://127.0.0.1:{server.port}"}},
        "clients": {"default": {"policy": {"name": "fixed", "max_attempts": 2, "delay_seconds": 0.2}}}}))
    env = {"STORMLAB_LOADGEN_CONFIG": str(config)}
    web_args = ("--web-host", "127.0.0.1", "--web-port", str(web_port))
    processes, logs = [], []

    async def start(name, *args):
        logs.append(tmp_path / f"{name}.log")
        with logs[-1].open("wb") as output:
            processes.append(await run_locust(env, *args, output=output))

    base = f"http://127.0.0.1:{web_port}"
    try:
        if mode == "local":
            await start("local", *web_args)
        else:
            await start("master", *web_args, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", str(master_port))
            await start("worker", "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

            async def attempts(since, until):
                async with http.get(f"{base}/stormlab/attempts", params={"since": since, "until": until}) as answer:
                    assert answer.status == 200, await answer.text()
                    return await answer.json()

            async def counted_through(moment):  # every process running clients counted up to then
                body = await attempts(moment - 1, moment)
                return body["workers"] and body["complete"] and body

            ready = await until(lambda: counted_through(time.time() - 1), "the process running clients")
            assert len(ready["workers"]) == 1 and ("local" in ready["workers"]) == (mode == "local")
            since = time.time()
            async with http.post(f"{base}/swarm", data={"user_count": 2, "spawn_rate": 100}) as r:
                assert r.status == 200
            await until(lambda: _at_least(arrived, "2", 10), "10 retries served", seconds=30)
            async with http.post(f"{base}/stop") as r:  # current releases take POST
                status = r.status
            if status == 405:  # Debian's locust 2.12 takes GET only
                async with http.get(f"{base}/stop") as r:
                    status = r.status
            assert status == 200
            stopped = time.time()
            await until(lambda: counted_through(stopped + 0.3), "a complete window", seconds=30)
            body = await attempts(since, stopped + 0.3)
            assert body["complete"] and body["slot_seconds"] == 0.1
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n" + "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)) from None
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
            await asyncio.wait_for(process.wait(), 30)

    slots = body["slots"]
    assert [start for start, _, _ in slots] == [round(start, 3) for start, _, _ in slots]
    assert len(slots) == len(range(math.floor(since * 10), math.ceil((stopped + 0.3) * 10)))  # zeros too
    for kind, column in (("1", 1), ("2", 2)):
        times = sorted(at for at, attempt in arrived if attempt == kind)
        counted = sum(slot[column] for slot in slots)
        # a stop may cut an attempt between being counted and reaching the service
        assert len(times) <= counted <= len(times) + 2, (kind, len(times), counted)
        for slot_start, _, _ in slots:
            end = slot_start + 0.1
            sent = sum(slot[column] for slot in slots if slot[0] < end)
            # an attempt is counted as it is sent, so before it arrives, and it arrives within 0.5 s
            assert sent >= sum(1 for at in times if at < end - 0.001), (kind, slot_start)
            assert sent <= sum(1 for at in times if at < end + 0.5) + 2, (kind, slot_start)


async def _at_least(arrived, attempt, count):
    return sum(1 for _, kind in arrived if kind == attempt) >= count
