"""One attempt: one HTTP request, and nothing more, classified as a retry policy sees it.

httptools parses the response (MagicStack's binding of Node.js's C parser, as uvicorn uses);
the request is a few formatted lines. The socket is the standard library's, which locust's
gevent has patched, so a blocked attempt lets every other request run. Nothing here ever
sends a request twice: an attempt whose connection is reset is a reset, counted as one.
(geventhttpclient, locust's fast client, quietly re-sends a request on a reset connection; a
testbed that counts attempts cannot have hidden retries.) urllib3, used before, made the same
promise at a quarter of the attempts per core (a pool, a connection object and a Python
header parser per attempt); h11, tried next, spent 45 us of an attempt's CPU on framing and
parsing, httptools 2 us (docs/clients.md, "Profiles").

A client either keeps idle connections per target (keep-alive) or opens a connection per
attempt and closes it after, as the naive clients of the real event did.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from loadgen.policies.base import (
    CLIENT_ERROR,
    CONNECT_ERROR,
    RESET,
    SERVER_ERROR,
    SHED,
    SUCCESS,
    TIMEOUT,
    Outcome,
)

# Idle kept-alive connections a client holds per target; a burst beyond them opens more,
# closed after use.
POOL_SIZE = 64
# A target's address is looked up again after this long, or after a failed connect: a
# container that restarted may have a new one, and a lookup per attempt would cost more
# than the attempt (under gevent, a resolver thread's round trip).
RESOLVE_EVERY_SECONDS = 5.0
RECEIVE_BYTES = 65536


@dataclass(frozen=True)
class Sent:
    """What an attempt came to, and what it cost."""

    outcome: Outcome
    seconds: float
    data: bytes = b""  # the response body, when there was one

    @property
    def response_bytes(self) -> int:
        return len(self.data)


class Transport:
    def __init__(self, targets: dict[str, str], reuse_connections: bool, connect_timeout_seconds: float):
        self.settings = (targets, reuse_connections, connect_timeout_seconds)  # what it was made with
        self._targets = {name: _Target(*_host_port(url)) for name, url in targets.items()}
        self._reuse = reuse_connections
        self._connect_timeout = connect_timeout_seconds
        self._generation = 0  # bumped by reconnect(): connections of an older one are not kept

    def send(self, target: str, method: str, path: str, headers: dict[str, str], body: bytes | None,
             timeout_seconds: float) -> Sent:
        started = time.perf_counter()
        # The attempt's whole time is bounded, not only each socket operation: every connect,
        # send and read is given what is left until this deadline, so a response trickling
        # through a congested device cannot outlast it. (A timer per attempt, gevent.Timeout,
        # did the same at a tenth of the attempt's CPU.)
        deadline = started + timeout_seconds
        where = self._targets[target]
        connection = None
        try:
            connection = self._connection(where, deadline)
            outcome, data = connection.exchange(where, method, path, headers, body, self._reuse, deadline)
        except _ConnectFailed:
            outcome, data = Outcome(CONNECT_ERROR), b""
        except TimeoutError:  # socket.timeout is TimeoutError
            outcome, data = Outcome(TIMEOUT), b""
        except (httptools.HttpParserError, OSError):  # an upgrade is an HttpParserError too
            outcome, data = Outcome(RESET), b""
        finally:
            if connection is not None:
                self._release(where, connection)
        return Sent(outcome, time.perf_counter() - started, data)

    def reconnect(self) -> None:
        """Drop every idle connection (the membership changed): the next attempts connect anew,
        and those under way close theirs when they end."""
        self._generation += 1
        for where in self._targets.values():
            idle, where.idle = where.idle, []
            for connection in idle:
                connection.close()

    def close(self) -> None:
        self.reconnect()

    def _connection(self, where: _Target, deadline: float) -> _Connection:
        while self._reuse and where.idle:
            connection = where.idle.pop()
            if connection.still_open():
                return connection
            connection.close()  # the other end closed it while idle: never sent on, not counted
        sock = where.connect(min(self._connect_timeout, _left(deadline)))
        return _Connection(sock, self._generation)

    def _release(self, where: _Target, connection: _Connection) -> None:
        if (self._reuse and connection.reusable and connection.generation == self._generation
                and len(where.idle) < POOL_SIZE):
            where.idle.append(connection)
        else:
            connection.close()


class _Target:
    """A target's address, looked up now and then, and its idle connections."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.host_port = f"{host}:{port}"
        self.idle: list[_Connection] = []
        self._address: tuple | None = None
        self._resolved_at = -RESOLVE_EVERY_SECONDS

    def connect(self, timeout_seconds: float) -> socket.socket:
        try:
            address = self._resolve()
            sock = socket.socket(address[0], socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(timeout_seconds)
                sock.connect(address[1])
            except BaseException:
                sock.close()
                raise
        except OSError as error:  # refused, unreachable, timed out, no such host
            self._resolved_at = -RESOLVE_EVERY_SECONDS
            raise _ConnectFailed() from error
        return sock

    def _resolve(self) -> tuple:
        now = time.monotonic()
        if self._address is None or now - self._resolved_at >= RESOLVE_EVERY_SECONDS:
            family, _, _, _, sockaddr = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)[0]
            self._address, self._resolved_at = (family, sockaddr), now
        return self._address


class _Connection:
    __slots__ = ("generation", "reusable", "sock")

    def __init__(self, sock: socket.socket, generation: int):
        self.sock = sock
        self.generation = generation
        self.reusable = False  # until a whole response has come on a connection kept alive

    def exchange(self, where: _Target, method: str, path: str, headers: dict[str, str], body: bytes | None,
                 keep_alive: bool, deadline: float) -> tuple[Outcome, bytes]:
        """Send the request once and read its whole response, by ``deadline``."""
        self.reusable = False
        # The request: its parts are checked where they are configured (a path is printable
        # ASCII, header values are numbers this package writes), so formatting is all it needs.
        lines = [f"{method} {path} HTTP/1.1\r\nHost: {where.host_port}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        if body:
            lines.append(f"Content-Length: {len(body)}\r\n")
        if not keep_alive:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        wire = "".join(lines).encode("ascii")
        sock = self.sock
        sock.settimeout(_left(deadline))
        sock.sendall(wire + body if body else wire)
        response = _Response()
        parser = response.parser = httptools.HttpResponseParser(response)
        try:
            while not response.complete:
                sock.settimeout(_left(deadline))
                data = sock.recv(RECEIVE_BYTES)
                if not data:
                    if response.ends_at_close():  # a body that the close delimits
                        break
                    raise ConnectionResetError("closed before the response ended")
                parser.feed_data(data)
        finally:
            response.parser = None  # no cycle left for the collector
        self.reusable = keep_alive and response.keep_alive
        return classify_status(parser.get_status_code(), response.retry_after), b"".join(response.chunks)

    def still_open(self) -> bool:
        """Whether an idle connection is still open: nothing to read, not even an EOF."""
        try:
            self.sock.settimeout(0.0)
            self.sock.recv(1, socket.MSG_PEEK)  # b"": closed; bytes: nothing was asked for
        except BlockingIOError:
            return True
        except OSError:
            pass
        return False

    def close(self) -> None:
        self.sock.close()


class _Response:
    """What the parser found in one response (its callbacks)."""

    __slots__ = ("chunks", "complete", "framed", "keep_alive", "parser", "retry_after", "started_body")

    def __init__(self):
        self.parser = None
        self.chunks: list[bytes] = []
        self.complete = False
        self.keep_alive = False
        self.framed = False  # a Content-Length or chunked body: its end is in the stream
        self.started_body = False  # the headers are all in
        self.retry_after: str | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"retry-after":
            self.retry_after = value.decode("latin-1")
        elif name in (b"content-length", b"transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        self.started_body = True
        self.keep_alive = self.parser.should_keep_alive()  # only meaningful until the message ends

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def ends_at_close(self) -> bool:
        return self.started_body and not self.framed


class _ConnectFailed(Exception):
    pass


def _left(deadline: float) -> float:
    """Seconds until ``deadline``; none left is a timeout."""
    left = deadline - time.perf_counter()
    if left <= 0:
        raise TimeoutError("the attempt's time is up")
    return left


def classify_status(status: int, retry_after: str | None) -> Outcome:
    if status in (429, 503):
        return Outcome(SHED, status, _seconds(retry_after))
    if status >= 500:
        return Outcome(SERVER_ERROR, status)
    if status >= 400:
        return Outcome(CLIENT_ERROR, status)
    return Outcome(SUCCESS, status)


def encode_body(body_bytes: int, body_json: dict | None) -> bytes | None:
    if body_json is not None:
        return json.dumps(body_json).encode()
    return b"x" * body_bytes if body_bytes else None


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds; an HTTP date (rare between services) is ignored."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port or 80
