"""What the benchmark measures through: the stormlab proxy (its own process, configured
through its admin API), nginx's stream proxy, and the kernel's tc tbf on a veth pair."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class ProxyProcess:
    """``python -m proxy`` with no links; the benchmark adds them through the admin API."""

    def __init__(self, cpus: set[int] | None = None, event_loop: str = "auto",
                 profile_to: Path | None = None, root: Path = ROOT) -> None:
        """``profile_to``: run under pyinstrument, its session saved there (.pyisession);
        ``root``: the source tree to run it from (another revision's, to compare)."""
        self.admin = f"http://127.0.0.1:{free_port()}"
        port = self.admin.rsplit(":", 1)[1]
        profiler = (["-m", "pyinstrument", "-r", "session", "-o", f"{profile_to}.pyisession"]
                    if profile_to else [])
        self.process = subprocess.Popen(
            [sys.executable, *profiler, "-m", "proxy", "--log-level", "WARNING",
             "--set", "listen_host=127.0.0.1", "--set", "admin.host=127.0.0.1", "--set", f"admin.port={port}",
             "--set", f"event_loop={event_loop}"],
            cwd=root, stdout=subprocess.DEVNULL,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus is not None else None)
        self.session: aiohttp.ClientSession | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    async def __aenter__(self) -> ProxyProcess:
        self.session = aiohttp.ClientSession()
        deadline = time.monotonic() + 10
        while True:
            try:
                async with self.session.get(self.admin + "/health") as response:
                    if response.status == 200:
                        return self
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the proxy did not start")
            await asyncio.sleep(0.05)

    async def __aexit__(self, *exc) -> None:
        await self.session.close()
        self.process.terminate()
        self.process.wait(10)

    async def call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        async with self.session.request(method, self.admin + path, json=body) as response:
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
            return await response.json() if response.status != 204 else None

    async def link(self, name: str, upstream_port: int, device: str = "border") -> int:
        """(Re)create link ``name`` to 127.0.0.1:upstream_port; return its listening port."""
        links = {link["name"] for link in await self.call("GET", "/links")}
        if name in links:
            await self.call("DELETE", f"/links/{name}")
        created = await self.call("POST", "/links", {"name": name, "listen_port": 0, "device": device,
                                                     "upstream": f"127.0.0.1:{upstream_port}"})
        return created["state"]["listen_port"]

    async def device(self, name: str, config: dict) -> None:
        """Replace device ``name``'s limits (unlisted ones go back to their defaults)."""
        current = await self.call("GET", f"/devices/{name}")
        cleared = {key: None for key in current["config"]}  # merge patch: null removes
        await self.call("PATCH", f"/devices/{name}", cleared)
        await self.call("PATCH", f"/devices/{name}", config)

    async def metric(self, name: str, **labels) -> float:
        async with self.session.get(self.admin + "/metrics") as response:
            text = await response.text()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total


class Nginx:
    """nginx's stream (TCP) proxy in front of ``upstream_port``, one worker."""

    MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"

    @staticmethod
    def missing() -> str | None:
        if shutil.which("nginx") is None or not Path(Nginx.MODULE).exists():
            return ("nginx with its stream module is not installed "
                    "(apt-get install nginx-light libnginx-mod-stream)")
        return None

    def __init__(self, upstream_port: int, cpus: set[int] | None = None):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="stormlab-nginx-")
        conf = Path(self.dir, "nginx.conf")
        conf.write_text(f"""
load_module {self.MODULE};
worker_processes 1;
worker_rlimit_nofile 20000;
pid {self.dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 19000; }}
stream {{ server {{ listen 127.0.0.1:{self.port} backlog=4096; proxy_pass 127.0.0.1:{upstream_port}; }} }}
""")
        self.process = subprocess.Popen(["nginx", "-c", str(conf), "-p", self.dir, "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        deadline = time.monotonic() + 5
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"nginx did not start: {self.process.stderr.read().decode()[-500:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Nginx:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class TbfNamespace:
    """A network namespace joined to this one by a veth pair, with a tc tbf qdisc shaping the
    traffic that leaves it: the kernel's own token bucket, as a reference."""

    NS, HOST_IF, NS_IF = "stormlab-bench", "slbench0", "slbench1"
    HOST_IP, NS_IP = "10.213.0.1", "10.213.0.2"

    @classmethod
    def missing(cls) -> str | None:
        if os.geteuid() != 0:
            return "needs root (network namespaces and tc)"
        if shutil.which("ip") is None or shutil.which("tc") is None:
            return "needs iproute2 (ip, tc)"
        return None

    def __enter__(self) -> TbfNamespace:
        self._run(["ip", "netns", "del", self.NS], check=False)  # a leftover from a killed run
        self._run(["ip", "link", "del", self.HOST_IF], check=False)
        self._run(["ip", "netns", "add", self.NS])
        self._run(["ip", "link", "add", self.HOST_IF, "type", "veth", "peer", "name", self.NS_IF])
        self._run(["ip", "link", "set", self.NS_IF, "netns", self.NS])
        self._run(["ip", "addr", "add", f"{self.HOST_IP}/30", "dev", self.HOST_IF])
        self._run(["ip", "link", "set", self.HOST_IF, "up"])
        self._ns(["ip", "addr", "add", f"{self.NS_IP}/30", "dev", self.NS_IF])
        self._ns(["ip", "link", "set", self.NS_IF, "up"])
        self._ns(["ip", "link", "set", "lo", "up"])
        if shutil.which("ethtool"):  # segmentation offload makes 64 KB "packets" a bucket can't pass
            self._ns(["ethtool", "-K", self.NS_IF, "tso", "off", "gso", "off"], check=False)
        return self

    def __exit__(self, *exc) -> None:
        self._run(["ip", "netns", "del", self.NS], check=False)

    def shape(self, bytes_per_second: float, burst_bytes: int) -> None:
        self._ns(["tc", "qdisc", "replace", "dev", self.NS_IF, "root", "tbf",
                  "rate", f"{int(bytes_per_second * 8)}bit", "burst", str(burst_bytes), "latency", "100ms"])

    def source(self, port: int, seconds: float) -> subprocess.Popen:
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.NS, sys.executable, "-m", "benchmarks.proxy_bench.source_server",
             self.NS_IP, str(port), str(seconds)], cwd=ROOT, stdout=subprocess.PIPE)
        if process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the source in the namespace did not start")
        return process

    def _ns(self, command: list[str], check: bool = True) -> None:
        self._run(["ip", "netns", "exec", self.NS, *command], check)

    @staticmethod
    def _run(command: list[str], check: bool = True) -> None:
        subprocess.run(command, check=check, capture_output=True)
