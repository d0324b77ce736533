"""The service under test's health, asked through its link from the clients' side until it
answers as expected (experiments/service_health.py); the scripts run for real here, in this
Python, against a real HTTP server on a loopback port, as they would in the containers."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading

import pytest

from experiments import service_health
from experiments.errors import StackError
from experiments.service_health import ServiceNotHealthy, await_healthy, unhealthy_message
from stormlab_common.scenario.service_under_test import Health, ServiceUnderTest


class LocalStack:
    """Stack.run_python as it behaves in a container, with every host meaning 127.0.0.1."""

    def __init__(self):
        self.calls: list[tuple[str, tuple]] = []

    def run_python(self, service: str, code: str, *args: str) -> dict:
        self.calls.append((service, args))
        args = ("127.0.0.1", *args[1:])
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=30)
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def server():
    """An HTTP server answering /health with 503 for the first two asks, then 200."""
    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            status = 503 if len(asked) <= 2 else 200
            self.send_response(status)
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.write(b"starting" if status == 503 else b"ok      ")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], asked
    httpd.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_asks_through_the_link_from_the_clients_side_until_the_status_expected(server, monkeypatch):
    monkeypatch.setattr(service_health, "POLL_SECONDS", 0.05)
    port, asked = server
    stack = LocalStack()
    own = ServiceUnderTest("own", f"own:{port}", port, health=Health("/health", 200, 10))
    assert await_healthy(stack, own)["status"] == 200
    assert asked == ["/health"] * 3
    assert {service for service, _ in stack.calls} == {"loadgen"}  # the clients' network, through the proxy
    assert stack.calls[0][1][:3] == ("proxy", str(port), "/health")


def test_a_service_that_never_answers_so_stops_the_run_saying_what_it_answered_and_what_the_proxy_sees(
        monkeypatch):
    monkeypatch.setattr(service_health, "POLL_SECONDS", 0.05)
    port = free_port()  # nothing listens there
    own = ServiceUnderTest("own", f"own:{port}", port, health=Health("/health", 200, 0.3))
    with pytest.raises(ServiceNotHealthy) as refused:
        await_healthy(LocalStack(), own)
    message = str(refused.value)
    assert message.startswith(f"the service behind link 'own' (own:{port}) never answered GET /health with 200 "
                              "within 0.3 s: last answer no HTTP answer (ConnectionRefusedError")
    assert f"from the proxy's container, own:{port} does not connect: ConnectionRefusedError" in message
    assert message.endswith("The run stopped before its timeline.")
    assert isinstance(refused.value, StackError)  # the runner stops, restores, exits 3


def test_the_message_shows_a_wrong_status_with_what_the_service_said():
    own = ServiceUnderTest("own", "own:80", 8090, health=Health("/ready", 204, 60))
    message = unhealthy_message(own, {"status": 404, "body": "<h1>Not\n Found</h1>"}, None)
    assert "never answered GET /ready with 204 within 60 s: last answer 404 '<h1>Not Found</h1>'; the proxy's " \
           "container connects to own:80." in message
    assert "listens on port 80, and answers GET /ready with 204" in message
