"""The clients, run by real locust in one process against a real HTTP server on port 0 (the
master and its workers: test_loadgen_locustfile_live_config.py; the attempts they sent:
test_loadgen_locustfile_attempts.py)."""

import asyncio

from tests.unit.loadgen_support import free_port, run_headless, service, settings, watch


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
