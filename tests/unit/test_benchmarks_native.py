"""The benchmarks' readers of wrk's summary and of pyinstrument's flat profiles."""

import pytest

from benchmarks.profiles import summary
from benchmarks.proxy_bench.native import parse_wrk

WRK = """Running 5s test @ http://127.0.0.1:40001/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.90ms    2.01ms  28.21ms   67.50%
    Req/Sec     3.41k   463.75     4.20k    67.50%
  16927 requests in 5.00s, 2.50MB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   3385.46
Transfer/sec:    511.23KB
"""


def test_wrk_summary():
    assert parse_wrk(WRK) == {"per_second": 3385.46, "socket_errors": 6, "non_2xx": 4}
    clean = "\n".join(line for line in WRK.splitlines() if "errors" not in line and "Non-2xx" not in line)
    assert parse_wrk(clean) == {"per_second": 3385.46, "socket_errors": 0, "non_2xx": 0}


def test_wrk_without_a_rate_is_an_error_with_its_output():
    with pytest.raises(RuntimeError, match="wrk printed no rate"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


FLAT = """
  _     ._   __/__   _ _  _  _ _/_   Recorded: 06:04:49  Samples:  11845
Program: proxy

1.000 [self]  loadgen/logical_request.py
0.500 _wrefsocket.connect_ex  <built-in>
0.300 socket.recv  gevent/_socketcommon.py:648
0.200 MutexValue.inc  prometheus_client/values.py:27
"""


def test_a_flat_profile_is_summed_by_library_and_by_function():
    by_group, functions = summary(FLAT, top=2)
    assert by_group == [{"where": "loadgen", "share of samples": "50%"},
                        {"where": "built-ins (socket calls, ...)", "share of samples": "25%"},
                        {"where": "gevent", "share of samples": "15%"},
                        {"where": "prometheus_client", "share of samples": "10%"}]
    assert [row["function"] for row in functions] == ["[self]", "_wrefsocket.connect_ex"]


def test_the_bare_relay_carries_a_request_both_ways_and_releases_every_connection():
    """The floor row of the setups benchmark is only a floor if it does a relay's whole job:
    bytes both ways, each end of stream passed on, and each connection closed after both."""
    import contextlib
    import os
    import socket
    import threading
    import time

    from benchmarks.proxy_bench.native import BareRelay

    origin = socket.create_server(("127.0.0.1", 0))
    answered = []

    def serve() -> None:  # until the test ends (the relay's start-up probe is a connection too)
        while True:
            try:
                conn, _ = origin.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                request = b""
                while chunk := conn.recv(4096):  # read to the client's end of stream
                    request += chunk
                conn.sendall(b"answer to " + request)
                if request:
                    answered.append(request)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    with BareRelay(origin.getsockname()[1]) as relay:
        def sockets() -> int:
            count = 0
            for fd in os.listdir(f"/proc/{relay.pid}/fd"):
                with contextlib.suppress(FileNotFoundError):  # closed between the listing and the look
                    count += os.readlink(f"/proc/{relay.pid}/fd/{fd}").startswith("socket:")
            return count

        # once its start-up probe is over: the listener and the event loop's own
        deadline = time.monotonic() + 10
        while (idle := sockets()) > 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        for n in range(20):
            with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as client:
                client.sendall(b"request %d" % n)
                client.shutdown(socket.SHUT_WR)  # the origin answers only after our end of stream
                reply = b""
                while chunk := client.recv(4096):  # ... and the relay passes its close on
                    reply += chunk
            assert reply == b"answer to request %d" % n
        # every relayed connection closed (each after the client's own close reached the relay,
        # which a loaded machine may take a moment to deliver): back to what it held idle
        deadline = time.monotonic() + 10
        while sockets() > idle and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sockets() == idle
    origin.close()
    assert len(answered) == 20
