"""One attempt = one HTTP request, classified as the policies see it, on real sockets."""

import asyncio
import socket
import threading

import pytest
from aiohttp import web

from loadgen.policies.base import CLIENT_ERROR, CONNECT_ERROR, RESET, SERVER_ERROR, SHED, SUCCESS, TIMEOUT
from loadgen.transport import Transport, classify_status


@pytest.fixture
def server():
    """An aiohttp server in a thread (the transport is blocking outside locust)."""
    seen = []

    async def handle(request):
        seen.append({k: v for k, v in request.headers.items() if k in ("X-Attempt", "Connection")})
        status = int(request.match_info["status"])
        if status == 0:
            await asyncio.sleep(2)
            status = 200
        if status == 1:  # close without answering
            request.transport.close()
            await asyncio.sleep(0.1)
        headers = {"Retry-After": "3"} if status == 503 else {}
        return web.Response(status=status, body=b"x" * 100, headers=headers)

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("*", "/{status}", handle)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield port, seen
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())


def send(port, path, reuse=True, timeout=1.0):
    transport = Transport({"svc": f"http://127.0.0.1:{port}"}, reuse, 0.5)
    try:
        return transport.send("svc", "GET", path, {"X-Attempt": "2"}, None, timeout)
    finally:
        transport.close()


def test_statuses_are_classified(server):
    port, seen = server
    ok = send(port, "/200")
    assert ok.outcome.kind == SUCCESS and ok.response_bytes == 100
    shed = send(port, "/503")
    assert shed.outcome.kind == SHED and shed.outcome.retry_after == 3.0 and shed.outcome.status == 503
    assert send(port, "/429").outcome.kind == SHED
    assert send(port, "/500").outcome.kind == SERVER_ERROR
    assert send(port, "/404").outcome.kind == CLIENT_ERROR
    assert seen[0]["X-Attempt"] == "2"


def test_a_slow_answer_is_a_timeout_within_tolerance(server):
    port, _ = server
    sent = send(port, "/0", timeout=0.3)
    assert sent.outcome.kind == TIMEOUT
    assert 0.3 <= sent.seconds < 0.3 + 0.5


def test_a_closed_connection_is_a_reset_and_a_dead_port_a_connect_error(server):
    port, _ = server
    assert send(port, "/1").outcome.kind == RESET
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    assert send(dead, "/200").outcome.kind == CONNECT_ERROR


def test_one_attempt_is_one_request_even_on_a_reset(server):
    port, seen = server
    send(port, "/1")
    assert len(seen) == 1  # no hidden retry by the HTTP library


def test_a_connection_per_attempt_when_not_reusing(server):
    port, seen = server
    send(port, "/200", reuse=False)
    assert seen[-1]["Connection"] == "close"


@pytest.mark.parametrize("status,retry_after,kind,seconds", [
    (200, None, SUCCESS, None), (503, "1.5", SHED, 1.5), (503, "Wed, 21 Oct 2015 07:28:00 GMT", SHED, None),
    (502, None, SERVER_ERROR, None), (400, None, CLIENT_ERROR, None)])
def test_classify_status(status, retry_after, kind, seconds):
    outcome = classify_status(status, retry_after)
    assert outcome.kind == kind and outcome.retry_after == seconds
