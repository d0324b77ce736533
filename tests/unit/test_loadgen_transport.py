"""One attempt = one HTTP request, classified as the policies see it, on real sockets."""

import asyncio
import socket
import threading
import time

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


@pytest.fixture
def keep_alive_server():
    """A raw HTTP/1.1 server: answers each request on a connection, records (peer port, request
    line, body); closes a connection after ``close_after`` requests on it (an idle timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    seen, settings = [], {"close_after": 1000}

    def serve(conn):
        with conn:
            buffer, answered = b"", 0
            while answered < settings["close_after"]:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.split(b"\r\n")
                length = next((int(line.split(b":")[1]) for line in lines
                               if line.lower().startswith(b"content-length:")), 0)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                seen.append((conn.getpeername()[1], lines[0].decode(), body))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                answered += 1

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], seen, settings
    listener.close()


def test_kept_alive_attempts_share_a_connection(keep_alive_server):
    port, seen, _ = keep_alive_server
    transport = Transport({"svc": f"http://127.0.0.1:{port}"}, True, 0.5)
    try:
        results = [transport.send("svc", "GET", f"/{n}", {}, None, 1.0) for n in range(5)]
    finally:
        transport.close()
    assert [sent.outcome.kind for sent in results] == [SUCCESS] * 5 and results[0].data == b"ok"
    assert len({peer for peer, _, _ in seen}) == 1 and [line for _, line, _ in seen] == [
        f"GET /{n} HTTP/1.1" for n in range(5)]


def test_a_connection_per_attempt_opens_one_each(keep_alive_server):
    port, seen, _ = keep_alive_server
    transport = Transport({"svc": f"http://127.0.0.1:{port}"}, False, 0.5)
    for _ in range(3):
        assert transport.send("svc", "PUT", "/item", {}, b"x" * 512, 1.0).outcome.kind == SUCCESS
    assert len({peer for peer, _, _ in seen}) == 3 and all(body == b"x" * 512 for _, _, body in seen)


def test_an_idle_connection_the_server_closed_is_not_sent_on(keep_alive_server):
    """The server closes each connection after one answer: the next attempt must notice before
    sending and connect anew, one request per attempt, none lost to a stale connection."""
    port, seen, settings = keep_alive_server
    settings["close_after"] = 1
    transport = Transport({"svc": f"http://127.0.0.1:{port}"}, True, 0.5)
    try:
        outcomes = []
        for n in range(4):
            outcomes.append(transport.send("svc", "GET", f"/{n}", {}, None, 1.0).outcome.kind)
            deadline = time.monotonic() + 2
            while len(seen) <= n and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.05)  # the server's close reaches the client's socket
    finally:
        transport.close()
    assert outcomes == [SUCCESS] * 4
    assert len(seen) == 4 and len({peer for peer, _, _ in seen}) == 4


def test_reconnect_drops_idle_connections(keep_alive_server):
    port, seen, _ = keep_alive_server
    transport = Transport({"svc": f"http://127.0.0.1:{port}"}, True, 0.5)
    try:
        transport.send("svc", "GET", "/a", {}, None, 1.0)
        transport.reconnect()
        transport.send("svc", "GET", "/b", {}, None, 1.0)
    finally:
        transport.close()
    assert len({peer for peer, _, _ in seen}) == 2


def test_an_unknown_host_is_a_connect_error():
    transport = Transport({"svc": "http://no-such-host.invalid:80"}, False, 0.5)
    assert transport.send("svc", "GET", "/", {}, None, 1.0).outcome.kind == CONNECT_ERROR


def one_shot_server(answer):
    """Accepts one connection, reads the request head, then writes ``answer`` (bytes), or
    lets ``answer(conn)`` write what it likes, and closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(65536)
            if callable(answer):
                answer(conn)
            else:
                conn.sendall(answer)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.parametrize("answer,kind,data", [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3\r\n!!!\r\n0\r\n\r\n", SUCCESS, b"ok!!!"),
    (b"HTTP/1.0 200 OK\r\n\r\nread to the close", SUCCESS, b"read to the close"),
    (b"HTTP/1.1 503 Busy\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n", SHED, b""),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", RESET, b""),  # cut mid-body
    (b"SMTP ready\r\n\r\n", RESET, b""),  # not HTTP at all
    (b"", RESET, b""),  # closed without a word
])
def test_responses_are_framed_by_the_parser(answer, kind, data):
    port = one_shot_server(answer)
    sent = Transport({"svc": f"http://127.0.0.1:{port}"}, True, 0.5).send("svc", "GET", "/", {}, None, 2.0)
    assert sent.outcome.kind == kind and sent.data == data


def test_a_server_closing_after_its_answer_is_not_reused():
    closing = one_shot_server(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
    transport = Transport({"svc": f"http://127.0.0.1:{closing}"}, True, 0.5)
    assert transport.send("svc", "GET", "/", {}, None, 1.0).outcome.kind == SUCCESS
    assert transport._targets["svc"].idle == []  # nothing kept that the server will not answer on


def test_a_trickling_answer_is_bounded_by_the_attempts_whole_timeout():
    """Each read gets what is left of the attempt, so bytes arriving every 0.1 s cannot keep
    an attempt of 0.5 s alive past its time."""

    def trickle(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(30):
            time.sleep(0.1)
            try:
                conn.sendall(b"x")
            except OSError:
                return

    transport = Transport({"svc": f"http://127.0.0.1:{one_shot_server(trickle)}"}, False, 0.5)
    sent = transport.send("svc", "GET", "/", {}, None, 0.5)
    assert sent.outcome.kind == TIMEOUT
    assert 0.5 <= sent.seconds < 0.5 + 0.25
