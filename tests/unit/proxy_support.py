"""Helpers for the proxy's socket-level tests: a proxy in-process, and simple peers, all on
real loopback sockets with ports chosen by the kernel."""

from __future__ import annotations

import asyncio
import contextlib
import os

from prometheus_client import CollectorRegistry

from proxy.config import config_from_dict
from proxy.metrics import ProxyMetrics
from proxy.topology import Topology


@contextlib.asynccontextmanager
async def running_proxy(links: dict, devices: dict | None = None, **settings):
    """A Topology listening on 127.0.0.1; yields (topology, registry). Links get port 0."""
    data = {"listen_host": "127.0.0.1", "devices": devices or {"border": {}},
            "links": {name: {"listen_port": 0, **link} for name, link in links.items()}, **settings}
    registry = CollectorRegistry()
    topology = Topology(config_from_dict(data), ProxyMetrics(registry), asyncio.get_running_loop())
    await topology.start()
    try:
        yield topology, registry
    finally:
        await topology.close()


@contextlib.asynccontextmanager
async def serving(handler):
    """An asyncio streams server on a free loopback port; yields its port."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def echo(reader, writer):
    """Echo everything; half-close back when the client half-closes."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.write_eof()
        await writer.drain()
    writer.close()


def source(total_bytes: int, chunk: int = 65536):
    """A server that sends ``total_bytes`` then closes."""

    async def send(reader, writer):
        block = b"s" * chunk
        with contextlib.suppress(ConnectionError):
            sent = 0
            while sent < total_bytes:
                piece = block[: min(chunk, total_bytes - sent)]
                writer.write(piece)
                sent += len(piece)
                await writer.drain()
        writer.close()

    return send


async def read_all(port: int, limit: float = 30.0) -> tuple[int, float]:
    """Connect, read until EOF; return (bytes, seconds)."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started, got = loop.time(), 0
    try:
        while data := await asyncio.wait_for(reader.read(1 << 20), limit):
            got += len(data)
    finally:
        writer.close()
    return got, loop.time() - started


def sample(registry: CollectorRegistry, name: str, **labels) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


async def eventually(condition, timeout: float = 2.0, interval: float = 0.01):
    """Wait until condition() is true; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
