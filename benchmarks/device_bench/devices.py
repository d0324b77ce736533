"""The two devices as the benchmark runs them: the proxy (``python -m proxy``) or the kernel
device's agent (``python -m router``), started inside the device's namespace on the same
links, and driven over their shared control API and /metrics from the clients' side."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from pyroute2 import Conntrack

from benchmarks.device_bench.topology import CLIENTS_INTERFACE, DEVICE_CLIENTS_ADDRESS, SERVICES_INTERFACE
from router.netns import in_netns

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PORT = 8474
DEVICE = "border"
MODULES = {"proxy": "proxy", "kernel": "router"}


class DeviceProcess:
    """One device in namespace ``netns``, forwarding each of ``links`` (name -> (listen port,
    upstream "host:port")) through device ``border``, with no limits until told."""

    def __init__(self, kind: str, netns: str, links: dict[str, tuple[int, str]]):
        if kind not in MODULES:
            raise ValueError(f"device kind must be one of {sorted(MODULES)}, got {kind!r}")
        self.kind, self.netns = kind, netns
        self.admin = f"http://{DEVICE_CLIENTS_ADDRESS}:{ADMIN_PORT}"
        config: dict = {"admin": {"host": "0.0.0.0", "port": ADMIN_PORT}, "devices": {DEVICE: {}},
                        "links": {name: {"listen_port": port, "upstream": upstream, "device": DEVICE}
                                  for name, (port, upstream) in links.items()}}
        if kind == "kernel":
            config["interfaces"] = {"clients": CLIENTS_INTERFACE, "services": SERVICES_INTERFACE}
        # both files live as long as the device does (closed, and so removed, in __aexit__)
        self._config = tempfile.NamedTemporaryFile("w", prefix=f"stormlab-bench-{kind}-", suffix=".yml")  # noqa: SIM115
        json.dump(config, self._config)  # YAML reads JSON
        self._config.flush()
        self._log = tempfile.TemporaryFile(prefix=f"stormlab-bench-{kind}-log-")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", MODULES[kind], "--log-level", "WARNING",
             "--config", self._config.name], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self._log)
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> DeviceProcess:
        self.session = aiohttp.ClientSession()
        deadline = time.monotonic() + 20
        while True:
            try:
                async with self.session.get(self.admin + "/health") as response:
                    if response.status == 200 and (await response.json()).get("kind") == self.kind:
                        return self
            except aiohttp.ClientError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log_tail()
                await self.__aexit__()
                raise RuntimeError(f"the {self.kind} device did not start: {log}")
            await asyncio.sleep(0.1)

    async def __aexit__(self, *exc) -> None:
        if self.session is not None:
            await self.session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._config.close()
        self._log.close()

    def log_tail(self, size: int = 1500) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-size:]

    def forget_connections(self) -> dict[str, int]:
        """Empty the device namespace's connection tracking table, so that a section starts from
        none; return what it held, by TCP state. (A SYN the kernel device admitted and then
        dropped leaves a SYN_SENT entry for conntrack's 120 s timeout, and later connections from
        the same client port meet it.)"""
        def flush() -> dict[str, int]:
            states: dict[str, int] = {}
            with contextlib.suppress(FileNotFoundError):  # no table: nothing tracked here
                for line in Path("/proc/thread-self/net/nf_conntrack").read_text().splitlines():
                    words = line.split()
                    state = words[5] if len(words) > 5 and words[2] == "tcp" else words[2]
                    states[state] = states.get(state, 0) + 1
            if states:
                with Conntrack() as table:
                    table.flush()
            return states
        return in_netns(self.netns, flush)

    async def call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        async with self.session.request(method, self.admin + path, json=body) as response:
            if response.status >= 400:
                raise RuntimeError(f"{self.kind} device: {method} {path}: {response.status} "
                                   f"{await response.text()}")
            return await response.json() if response.status != 204 else None

    async def limit(self, config: dict) -> None:
        """Replace the device's limits with ``config`` (unlisted ones back to their defaults)."""
        current = await self.call("GET", f"/devices/{DEVICE}")
        await self.call("PATCH", f"/devices/{DEVICE}", {key: None for key in current["config"]})
        await self.call("PATCH", f"/devices/{DEVICE}", config)

    async def active_connections(self) -> int:
        return (await self.call("GET", f"/devices/{DEVICE}"))["state"]["active_connections"]

    async def metric(self, name: str, **labels: str) -> float:
        """The sum of ``name``'s samples whose labels include ``labels``."""
        async with self.session.get(self.admin + "/metrics") as response:
            text = await response.text()
            if response.status != 200:
                raise RuntimeError(f"{self.kind} device: GET /metrics: {response.status} {text[:300]}; "
                                   f"its log: {self.log_tail()}")
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples
                   if sample.name == name and labels.items() <= sample.labels.items())
