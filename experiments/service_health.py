"""Is the service under test there? Asked as the clients would ask it: an HTTP GET of its health
path through its link, from the clients' network (inside the locust master's container, as the
runner reaches the stack only through published ports and ``docker exec``), every second until
it answers the status expected or the time is up. A service that never does stops the run
before its timeline, with what it last answered and what the proxy's own container sees of the
upstream, so the message points at the fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from experiments.errors import StackError
from experiments.waiting import poll
from stormlab_common.scenario.service_under_test import PROXY_HOST, ServiceUnderTest

CLIENTS_SIDE = "loadgen"  # on the internal network, where the clients are
DEVICE_SIDE = "proxy"  # on both networks: it reaches the upstream directly
POLL_SECONDS = 1.0
PROBE_TIMEOUT_SECONDS = 3.0

# One GET, no redirect followed: what the health path itself answers.
_GET = """
import http.client, json, sys
host, port, path, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
try:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection.request("GET", path, headers={"Connection": "close"})
    response = connection.getresponse()
    print(json.dumps({"status": response.status, "body": response.read(120).decode(errors="replace")}))
except Exception as error:
    print(json.dumps({"status": None, "error": f"{type(error).__name__}: {error}"}))
"""

# A TCP connection straight to the upstream, from the device's container.
_CONNECT = """
import json, socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print(json.dumps({"error": None}))
except Exception as error:
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
"""


class ServiceNotHealthy(StackError):
    """The service under test never answered its health check as expected."""


def await_healthy(stack, service: ServiceUnderTest, clock: Callable[[], float] = time.monotonic) -> dict:
    """Polls the service's health through its link until it answers ``expect_status``; returns
    that answer. ServiceNotHealthy after ``health.timeout_seconds``. ``stack``:
    experiments/stack.py's Stack (its ``run_python``)."""
    health = service.health
    started = clock()

    def ask() -> dict:
        timeout = min(PROBE_TIMEOUT_SECONDS, max(0.5, health.timeout_seconds - (clock() - started)))
        return stack.run_python(CLIENTS_SIDE, _GET, PROXY_HOST, str(service.listen_port), health.path,
                                str(timeout))

    def never_healthy(last: dict) -> dict:
        raise ServiceNotHealthy(unhealthy_message(service, last, _direct_view(stack, service)))

    return poll(ask, lambda answer: answer.get("status") == health.expect_status,
                timeout=health.timeout_seconds, every=POLL_SECONDS, timed_out=never_healthy)


def _direct_view(stack, service: ServiceUnderTest) -> str | None:
    """What connecting to the upstream from the device's container gives: None if it connects."""
    host, _, port = service.upstream.rpartition(":")
    try:
        return stack.run_python(DEVICE_SIDE, _CONNECT, host, port, str(PROBE_TIMEOUT_SECONDS))["error"]
    except StackError as exc:
        return f"not checked ({exc})"


def unhealthy_message(service: ServiceUnderTest, last: dict, direct: str | None) -> str:
    health = service.health
    if last.get("status") is None:
        answer = f"no HTTP answer ({last.get('error') or 'none'})"
    else:
        body = " ".join(str(last.get("body") or "").split())
        answer = f"{last['status']}" + (f" {body[:80]!r}" if body else "")
    seen = (f"the proxy's container connects to {service.upstream}" if direct is None else
            f"from the proxy's container, {service.upstream} does not connect: {direct}")
    return (f"the service behind link {service.link!r} ({service.upstream}) never answered GET "
            f"{health.path} with {health.expect_status} within {health.timeout_seconds:g} s: last answer "
            f"{answer}; {seen}. Check that the service runs on the stack's main network under that name "
            f"(a Compose override named in STORMLAB_COMPOSE_FILES when the stack started: "
            f"docs/own-service.md), listens on port {service.upstream.rpartition(':')[2]}, and answers "
            f"GET {health.path} with {health.expect_status}. The run stopped before its timeline.")
