"""A worker standing apart from the stack, as real locust runs it (a master and a worker): it
reaches the device at its own host (STORMLAB_DEVICE_HOST), its base targets and a live patch's
alike, and the master lists it with the metrics address it advertised, in /stormlab/workers and
in the HTTP SD document Prometheus reads; a worker gone leaves both."""

import json
import signal
import time

import aiohttp
from aiohttp import web

from tests.unit.loadgen_support import free_port, run_locust, stop_all, until, with_logs


async def counting_service(aiohttp_server):
    """A service on 127.0.0.1 only (the test server's default): a request reaches it only at that
    address."""
    arrived = []

    async def work(request):
        arrived.append(time.time())
        return web.Response(body=b"ok")

    app = web.Application()
    app.router.add_get("/v1/work", work)
    return await aiohttp_server(app), arrived


async def test_a_worker_elsewhere_sends_to_its_device_host_and_is_listed_where_it_advertised(aiohttp_server, tmp_path):
    first, first_arrived = await counting_service(aiohttp_server)
    second, second_arrived = await counting_service(aiohttp_server)
    metrics_port, web_port, master_port = (free_port() for _ in range(3))
    config = tmp_path / "loadgen.yml"
    # 127.0.0.2 is loopback too, but nothing listens there: a request that was not moved to the
    # device host is refused, and nothing leaves the machine.
    config.write_text(json.dumps({
        "seed": 1, "metrics_port": metrics_port, "arrivals": {"process": "periodic", "requests_per_second": 5},
        "targets": {"api": {"url": f"http://127.0.0.2:{first.port}"}},
        "workload": {"work": {"target": "api", "path": "/v1/work"}},
        "clients": {"default": {"policy": {"name": "none"}}}}))
    advertised = f"127.0.0.1:{metrics_port}"
    processes, logs = [], []

    async def start(name, env, *args):
        logs.append(tmp_path / f"{name}.log")
        with logs[-1].open("wb") as output:
            processes.append(await run_locust({"STORMLAB_LOADGEN_CONFIG": str(config), **env}, *args,
                                              output=output))

    base = f"http://127.0.0.1:{web_port}"
    try:
        await start("master", {}, "--web-host", "127.0.0.1", "--web-port", str(web_port), "--master",
                    "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port))
        await start("worker", {"STORMLAB_DEVICE_HOST": "127.0.0.1", "STORMLAB_METRICS_ADVERTISE": advertised},
                    "--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

            async def get(path):
                async with http.get(base + path) as answer:
                    assert answer.status == 200, await answer.text()
                    return await answer.json()

            async def listed():
                body = await get("/stormlab/workers")
                return body["count"] == 1 and body["workers"][0]["metrics"] == advertised and body

            workers = await until(listed, "the worker listed with its address")
            assert abs(workers["workers"][0]["last_seen"] - time.time()) < 5
            worker_id = workers["workers"][0]["id"]
            assert await get("/stormlab/workers/http-sd") == [
                {"targets": [advertised], "labels": {"__meta_stormlab_worker_id": worker_id}}]
            assert "joined the master" in logs[1].read_text()

            async with http.post(f"{base}/swarm", data={"user_count": 2, "spawn_rate": 100}) as r:
                assert r.status == 200
            await until(lambda: _at_least(first_arrived, 5), "requests at the device host")

            # a live patch's new URL is moved too: 127.0.0.3 is where the master's config says
            patch = {"targets": {"api": {"url": f"http://127.0.0.3:{second.port}"}}}
            async with http.put(f"{base}/stormlab/config", json=patch) as r:
                assert r.status == 200
            await until(lambda: _at_least(second_arrived, 5), "requests at the patched target's port")
            config_state = await get("/stormlab/config")
            assert config_state["config"]["targets"]["api"]["url"] == f"http://127.0.0.3:{second.port}"

            processes[1].send_signal(signal.SIGTERM)  # a worker that stops says so to its master
            await until(lambda: _equals(get("/stormlab/workers"), {"count": 0, "workers": []}), "the worker gone")
            assert await get("/stormlab/workers/http-sd") == []
    except AssertionError as exc:
        raise with_logs(exc, logs) from None
    finally:
        await stop_all(processes)


async def test_a_bad_device_host_or_address_stops_locust_at_start_naming_both(tmp_path):
    output = tmp_path / "worker.log"
    with output.open("wb") as log:
        process = await run_locust({"STORMLAB_DEVICE_HOST": "http://stack:8081", "STORMLAB_METRICS_ADVERTISE": "w7"},
                                   "--worker", "--master-port", str(free_port()), output=log)
        code = await process.wait()
    text = output.read_text()
    assert code == 2, text
    assert "loadgen: invalid placement settings:" in text
    assert "STORMLAB_DEVICE_HOST: expected a host name or IPv4 address" in text
    assert "STORMLAB_METRICS_ADVERTISE: expected host:port" in text


async def _at_least(arrived, count):
    return len(arrived) >= count


async def _equals(value, expected):
    return await value == expected


async def test_a_local_run_lists_its_one_process_as_worker_local(tmp_path):
    metrics_port, web_port = free_port(), free_port()
    config = tmp_path / "loadgen.yml"
    config.write_text(json.dumps({"metrics_port": metrics_port, "targets": {"api": {"url": "http://127.0.0.1:9"}},
                                  "workload": {"work": {"target": "api", "path": "/"}},
                                  "clients": {"default": {"policy": {"name": "none"}}}}))
    log = tmp_path / "local.log"
    with log.open("wb") as output:
        process = await run_locust({"STORMLAB_LOADGEN_CONFIG": str(config),
                                    "STORMLAB_METRICS_ADVERTISE": f"worker-7.lan:{metrics_port}"},
                                   "--web-host", "127.0.0.1", "--web-port", str(web_port), output=output)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

            async def listed():
                async with http.get(f"http://127.0.0.1:{web_port}/stormlab/workers") as answer:
                    body = await answer.json()
                return body["workers"] and body["workers"][0]["last_seen"] and body

            body = await until(listed, "the local process listed")
            assert (body["count"], body["workers"][0]["id"], body["workers"][0]["metrics"]) == (
                1, "local", f"worker-7.lan:{metrics_port}")
    except AssertionError as exc:
        raise with_logs(exc, [log]) from None
    finally:
        await stop_all([process])
