"""The native programs the proxy is measured beside, all from Debian's packages: an nginx HTTP
origin that answers at once, HAProxy in TCP mode, wrk (connection setups with one request
each) and iperf3 (a single stream's throughput). Each runs pinned to the CPUs it is given, so
the device under test has a core to itself and the load has the other."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.proxy_bench.targets import free_port


def pinned(cpus: set[int] | None):
    """A preexec_fn that pins the child to ``cpus`` (None: wherever the kernel likes)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def wait_listening(port: int, process: subprocess.Popen, what: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline or process.poll() is not None:
            error = process.stderr.read().decode()[-500:] if process.stderr else ""
            process.kill()
            raise RuntimeError(f"{what} did not start listening on {port}: {error}")
        time.sleep(0.05)


class _Daemon:
    """A program with a config file in a directory of its own, stopped (and cleaned) on exit."""

    name = "program"

    def __init__(self, argv: list[str], cpus: set[int] | None, port: int):
        self.port = port
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=pinned(cpus))
        wait_listening(port, self.process, self.name)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class NginxOrigin(_Daemon):
    """An HTTP service that answers every request at once with a small body: the far end of
    every setup measurement, fast enough not to be what limits it (one nginx worker)."""

    name = "nginx (HTTP origin)"
    STATUS_PATH = "/stormlab-origin-status"

    @staticmethod
    def missing() -> str | None:
        return None if shutil.which("nginx") else "nginx is not installed (apt-get install nginx-light)"

    def __init__(self, cpus: set[int] | None = None, body: str = "ok", also_on: tuple[str, ...] = ()):
        """``also_on``: addresses of this host it listens on besides loopback, on the same port
        (where clients in other network namespaces reach it; its count is still read on loopback)."""
        self.dir = tempfile.mkdtemp(prefix="stormlab-origin-")
        port = free_port()
        listens = "".join(f"\n    listen {address}:{port} backlog=4096 reuseport;" for address in also_on)
        conf = Path(self.dir, "nginx.conf")
        conf.write_text(f"""
worker_processes 1;
worker_rlimit_nofile 20000;
pid {self.dir}/nginx.pid;
error_log stderr error;
events {{ worker_connections 19000; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {self.dir}; proxy_temp_path {self.dir}; fastcgi_temp_path {self.dir};
  uwsgi_temp_path {self.dir}; scgi_temp_path {self.dir};
  server {{
    listen 127.0.0.1:{port} backlog=4096 reuseport;{listens}
    location / {{ return 200 "{body}"; }}
    location = {self.STATUS_PATH} {{ stub_status; }}
  }}
}}
""")
        super().__init__(["nginx", "-c", str(conf), "-p", self.dir, "-g", "daemon off;"], cpus, port)

    def requests(self) -> int:
        """Requests answered so far (nginx's stub_status; this query counts as one)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(f"GET {self.STATUS_PATH} HTTP/1.0\r\n\r\n".encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        # "Active connections: 1 \n server accepts handled requests\n 5 5 7 \n..."
        match = re.search(rb"\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n", answer)
        if match is None:
            raise RuntimeError(f"nginx's status page was not understood: {answer[-200:]!r}")
        return int(match.group(3))


class HAProxy(_Daemon):
    """HAProxy as a TCP proxy (mode tcp) with one thread: the same job as the stormlab proxy's
    link with no limits."""

    name = "HAProxy"

    @staticmethod
    def missing() -> str | None:
        return None if shutil.which("haproxy") else "HAProxy is not installed (apt-get install haproxy)"

    def __init__(self, upstream_port: int, cpus: set[int] | None = None):
        self.dir = tempfile.mkdtemp(prefix="stormlab-haproxy-")
        port = free_port()
        conf = Path(self.dir, "haproxy.cfg")
        conf.write_text(f"""
global
  nbthread 1
  maxconn 9000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:{port} backlog 4096
  default_backend origin
backend origin
  server origin 127.0.0.1:{upstream_port}
""")
        super().__init__(["haproxy", "-db", "-f", str(conf)], cpus, port)


def wrk_setups(port: int, seconds: float, cpus: set[int] | None, connections: int = 64) -> dict:
    """wrk with ``Connection: close``: every request on a connection of its own, as many as the
    path allows from ``connections`` at once. Returns setups/s and errors."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    completed = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-H", "Connection: close",
         f"http://127.0.0.1:{port}/"], capture_output=True, text=True, timeout=seconds + 30,
        preexec_fn=pinned(cpus))
    return parse_wrk(completed.stdout)


def parse_wrk(output: str) -> dict:
    """wrk's summary: requests/s, and its socket errors and non-2xx answers, if any."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{output[-500:]}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"per_second": float(rate.group(1)),
            "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


class Iperf3Server(_Daemon):
    """``iperf3 -s``: the far end of the single-stream throughput measurements."""

    name = "iperf3 server"

    @staticmethod
    def missing() -> str | None:
        return None if shutil.which("iperf3") else "iperf3 is not installed (apt-get install iperf3)"

    def __init__(self, cpus: set[int] | None = None):
        self.dir = tempfile.mkdtemp(prefix="stormlab-iperf3-")
        port = free_port()
        super().__init__(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(port)], cpus, port)


def iperf3_stream(port: int, seconds: float, cpus: set[int] | None, omit: float = 1.0) -> float:
    """One TCP stream for ``seconds`` (the first ``omit`` left out): bytes/s received."""
    completed = subprocess.run(
        ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(max(1, round(seconds))),
         "-O", str(max(0, round(omit))), "-J"], capture_output=True, text=True, timeout=seconds + omit + 30,
        preexec_fn=pinned(cpus))
    try:
        report = json.loads(completed.stdout)
        return report["end"]["sum_received"]["bits_per_second"] / 8
    except (ValueError, KeyError) as exc:
        raise RuntimeError(f"iperf3 failed: {completed.stdout[-300:]} {completed.stderr[-300:]}") from exc


class BareRelay(_Daemon):
    """The least a Python relay on uvloop does per connection (bare_relay.py): the floor under
    the stormlab proxy's figures, measured beside it."""

    name = "bare uvloop relay"

    def __init__(self, upstream_port: int, cpus: set[int] | None = None):
        self.dir = tempfile.mkdtemp(prefix="stormlab-relay-")  # nothing in it: _Daemon.stop removes it
        port = free_port()
        super().__init__([sys.executable, str(Path(__file__).with_name("bare_relay.py")), str(port),
                          str(upstream_port), "uvloop"], cpus, port)
