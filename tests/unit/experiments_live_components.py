"""The real proxy admin API and a real service, in-process on loopback ports the kernel
picks, served from an event loop in a thread, so the runner's synchronous clients can be
checked against the components' own contracts, not a fake's idea of them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry

from experiments import stack
from proxy.admin import make_admin_app
from services.app import make_app
from services.config import config_from
from tests.unit.proxy_support import running_proxy


@contextlib.contextmanager
def serving(make: Callable[[contextlib.AsyncExitStack], Awaitable[tuple[web.Application, object]]]
            ) -> Iterator[tuple[str, object]]:
    """Yields (base URL, what ``make`` gave besides the app) while the app is served;
    ``make`` enters what the app needs into the exit stack it is given."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    resources = contextlib.AsyncExitStack()

    async def start():
        app, extra = await make(resources)
        runner = web.AppRunner(app)
        await runner.setup()
        resources.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}", extra

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    finally:
        asyncio.run_coroutine_threadsafe(resources.aclose(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextlib.contextmanager
def proxy_admin(links: dict, devices: dict) -> Iterator[tuple[str, object]]:
    """The proxy's admin API over a running Topology: yields (URL, topology)."""

    async def make(resources):
        topology, registry = await resources.enter_async_context(running_proxy(links, devices))
        return make_admin_app(topology, registry), topology

    with serving(make) as served:
        yield served


@contextlib.contextmanager
def service(raw: dict) -> Iterator[str]:
    """One service replica (services/app.py) from a config mapping: yields its URL."""

    async def make(resources):
        return make_app(config_from(raw), CollectorRegistry()), None

    with serving(make) as (url, _):
        yield url


class ScriptCaller:
    """``Stack.call_service`` without Docker: the very script it runs in each container
    (``stack._CALL``), run here against one replica's port, its output read the same way."""

    def __init__(self, urls: dict[str, str]):
        self.urls = urls  # service -> its one replica's URL
        self.calls: list[tuple[str, str, str, dict | None]] = []

    def call_service(self, service: str, method: str, path: str, body: dict | None = None) -> list:
        self.calls.append((service, method, path, body))
        port = self.urls[service].rsplit(":", 1)[1]
        script = stack._CALL.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        done = subprocess.run([sys.executable, "-c", script, method, path, "" if body is None else json.dumps(body)],
                              capture_output=True, timeout=30)
        return [stack.replica_answer(f"{service}-1", method, path, done.returncode, done.stdout + done.stderr)]
