"""Start order where nothing orders it (stormlab_common/wait_for.py): a real HTTP server on
port 0 that turns healthy late, a deadline that passes, and the command it becomes."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from stormlab_common.wait_for import main, wait


class LateHealth(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first ``unhealthy_for`` requests, then 200."""

    unhealthy_for = 2
    seen = 0

    def do_GET(self):  # the standard library names it so
        type(self).seen += 1
        self.send_response(503 if type(self).seen <= type(self).unhealthy_for else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def late_server():
    handler = type("Handler", (LateHealth,), {"seen": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health", handler
    server.shutdown()
    server.server_close()


def test_waits_until_the_dependency_is_healthy_then_becomes_the_command(late_server):
    url, handler = late_server
    ran = []
    assert main(["--timeout", "30", "--url", url, "--", "python3", "-m", "proxy"],
                execute=lambda file, args: ran.append((file, args))) == 0
    assert ran == [("python3", ["python3", "-m", "proxy"])]
    assert handler.seen == 3  # two 503s, then the 200 it waited for


def test_gives_up_past_the_timeout_naming_what_never_answered(capsys):
    ticks = iter(range(100))
    reasons = wait(["http://api:8080/health"], timeout=3, probe=lambda url: f"{url}: refused",
                   clock=lambda: next(ticks), sleep=lambda seconds: None)
    assert reasons == ["http://api:8080/health: refused"]


def test_an_unreachable_url_fails_the_start(capsys):
    ran = []
    with socket.socket() as probe:  # a port just freed: nothing listens on it
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/health"
    assert main(["--timeout", "1", "--url", url, "--", "true"], execute=lambda file, args: ran.append(file)) == 1
    assert ran == []
    assert f"not healthy after 1 s: {url}" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--url", "http://x/"], "usage"),
    (["--url", "http://x/", "--"], "nothing to run"),
])
def test_bad_arguments_say_what_is_expected(argv, message, capsys):
    assert main(argv, execute=lambda *a: None) == 2
    assert message in capsys.readouterr().err


def test_no_url_runs_the_command_at_once():
    ran = []
    assert main(["--", "locust", "-f", "x.py"], execute=lambda file, args: ran.append(args)) == 0
    assert ran == [["locust", "-f", "x.py"]]
