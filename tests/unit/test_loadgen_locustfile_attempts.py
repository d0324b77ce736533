"""When the clients sent their attempts, as a real locust (one process, or a master and a
worker) tells it on its web port, against a service's own log of arrivals."""

import json
import time

import aiohttp
import pytest
from aiohttp import web

from stormlab_common.time_slots import slot_of, slots_to
from tests.unit.loadgen_support import at_least, free_port, run_locust, stop_all, until, with_logs


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
            await until(lambda: at_least(arrived, "2", 10), "10 retries served", seconds=30)
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
        raise with_logs(exc, logs) from None
    finally:
        await stop_all(processes)

    slots = body["slots"]
    assert [start for start, _, _ in slots] == [round(start, 3) for start, _, _ in slots]
    # zeros too; cut as every component cuts (a time a hair before a boundary opens the next slot)
    assert len(slots) == slots_to(stopped + 0.3) - slot_of(since)
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
