"""One attempt: one HTTP request, and nothing more, classified as a retry policy sees it.

urllib3 with retries off: it sends exactly one request per call and raises what happened.
(geventhttpclient, locust's fast client, quietly re-sends a request on a reset connection;
a testbed that counts attempts cannot have hidden retries.) Under locust, gevent has patched
the sockets, so a blocked attempt lets every other request run.

A client either keeps a pool of connections per target (keep-alive) or opens a connection
per attempt and closes it after, as the naive clients of the real event did.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

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

# Requests a client may have in flight to one target over kept-alive connections.
POOL_SIZE = 64


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
    def __init__(self, targets: dict[str, str], reuse_connections: bool, connect_timeout_seconds: float,
                 timer=None):
        self.settings = (targets, reuse_connections, connect_timeout_seconds)  # what it was made with
        self._addresses = {name: _host_port(url) for name, url in targets.items()}
        self._reuse = reuse_connections
        self._connect_timeout = connect_timeout_seconds
        # A total time bound for an attempt (urllib3's timeouts bound each socket operation,
        # and a response trickling through a congested device can outlast them). Under
        # locust it is gevent.Timeout; tests may run without it.
        self._timer = timer
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}

    def send(self, target: str, method: str, path: str, headers: dict[str, str], body: bytes | None,
             timeout_seconds: float) -> Sent:
        if self._reuse:
            pool = self._pool(target)
        else:
            pool = self._new_pool(target, 1)
            headers = {**headers, "Connection": "close"}
        timeout = urllib3.Timeout(connect=min(self._connect_timeout, timeout_seconds), read=timeout_seconds)
        started = time.perf_counter()
        try:
            if self._timer is not None:
                with self._timer(timeout_seconds, _AttemptTimedOut):
                    response = pool.urlopen(method, path, body=body, headers=headers, retries=False,
                                            timeout=timeout, redirect=False)
            else:
                response = pool.urlopen(method, path, body=body, headers=headers, retries=False,
                                        timeout=timeout, redirect=False)
            outcome = classify_status(response.status, response.headers.get("Retry-After"))
            data = response.data
        except (_AttemptTimedOut, ReadTimeoutError):
            outcome, data = Outcome(TIMEOUT), b""
        except (ConnectTimeoutError, NewConnectionError):
            outcome, data = Outcome(CONNECT_ERROR), b""
        except (ProtocolError, HTTPError, OSError):
            outcome, data = Outcome(RESET), b""
        finally:
            if not self._reuse:
                pool.close()
        return Sent(outcome, time.perf_counter() - started, data)

    def reconnect(self) -> None:
        """Drop every pooled connection (the membership changed): the next attempts connect anew."""
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()

    def close(self) -> None:
        self.reconnect()

    def _pool(self, target: str) -> urllib3.HTTPConnectionPool:
        pool = self._pools.get(target)
        if pool is None:
            pool = self._pools[target] = self._new_pool(target, POOL_SIZE)
        return pool

    def _new_pool(self, target: str, size: int) -> urllib3.HTTPConnectionPool:
        host, port = self._addresses[target]
        # block=False: a burst beyond the pool opens extra connections rather than waiting
        return urllib3.HTTPConnectionPool(host, port, maxsize=size, block=False, retries=False)


class _AttemptTimedOut(Exception):
    pass


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
