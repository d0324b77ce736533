"""The live config across a real locust master and its workers, and the /stormlab/ API as the
master serves it on locust's web port (locust's own UI beside it)."""

import json

import aiohttp

from tests.unit.loadgen_support import (
    clients_total,
    equals,
    free_port,
    gauge,
    run_locust,
    service,
    stop_all,
    until,
    with_logs,
)


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
            await the_api_answers_what_it_cannot_take_in_json(http, f"http://127.0.0.1:{web_port}")
            async with http.post(f"http://127.0.0.1:{web_port}/swarm", data={"user_count": 2, "spawn_rate": 100}) as r:
                assert r.status == 200
            await until(lambda: equals(gauge(metrics_port, "stormlab_client_active_clients"), {"none": 2}),
                        "2 clients under policy none")

            # switch the running clients' policy
            patch = {"clients": {"default": {"policy": {"name": "fixed", "max_attempts": 2}}}}
            async with http.put(api, json=patch) as answer:
                assert answer.status == 200
                body = await answer.json()
            assert (body["generation"], body["patch"]) == (1, patch)
            assert body["config"]["clients"]["default"]["policy"] == {"name": "fixed", "max_attempts": 2, "delay_seconds": 1.0}
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
            late = await until(lambda: clients_total(gauge(second_metrics_port, "stormlab_client_active_clients"), 1),
                               "a client on the late worker")
            assert late == {"fixed": 1}
    except AssertionError as exc:
        raise with_logs(exc, logs) from None
    finally:
        await stop_all(processes)


async def the_api_answers_what_it_cannot_take_in_json(http, base):
    """On locust's real web UI (its own error pages, its login wrapper, its CORS, Flask in debug
    mode), not only on a bare Flask app as in test_loadgen_http_guard.py."""
    async with http.get(f"{base}/stormlab/openapi.json") as answer:
        assert answer.status == 200 and set((await answer.json())["paths"]) == {
            "/stormlab/config", "/stormlab/attempts", "/stormlab/openapi.json", "/stormlab/workers",
            "/stormlab/workers/http-sd"}
    async with http.get(f"{base}/stormlab/nope") as answer:
        assert answer.status == 404 and answer.content_type == "application/json"
    async with http.post(f"{base}/stormlab/config", json={}) as answer:
        assert answer.status == 405 and answer.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
        assert answer.content_type == "application/json"
    async with http.put(f"{base}/stormlab/config", data="{}", headers={"Content-Type": "text/plain"}) as answer:
        assert answer.status == 415 and (await answer.json())["problems"] == []
    async with http.put(f"{base}/stormlab/config", data=b"\xff", headers={"Content-Type": "application/json"}) as answer:
        assert answer.status == 400
    async with http.get(f"{base}/stormlab/config") as answer:
        assert (await answer.json())["generation"] == 0  # nothing changed
