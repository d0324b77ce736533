"""The real proxy admin API, the kernel device's agent over a fake kernel, a real service and the loadgen's real /stormlab/config, in-process
on loopback ports the kernel picks, served from threads, so the runner's synchronous clients
can be checked against the components' own contracts, not a fake's idea of them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from flask import Flask
from prometheus_client import CollectorRegistry
from werkzeug.serving import WSGIRequestHandler, make_server

from experiments import stack
from loadgen import control_api
from loadgen.config import load_base
from loadgen.live_config import LiveConfig
from proxy.admin import make_admin_app
from router.agent import make_agent_app
from router.metrics import register_router_metrics
from services.app import make_app
from services.config import config_from
from tests.unit.proxy_support import running_proxy
from tests.unit.test_router_fakes import started_state


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
def router_agent(links: dict, devices: dict) -> Iterator[tuple[str, object]]:
    """The kernel device's agent (router/agent.py) over a fake kernel: yields (URL, its RouterState)."""

    async def make(resources):
        state = started_state(devices, links)
        registry = CollectorRegistry()
        register_router_metrics(registry, state)
        return make_agent_app(state, registry), state

    with serving(make) as served:
        yield served


@contextlib.contextmanager
def service(raw: dict) -> Iterator[str]:
    """One service replica (services/app.py) from a config mapping: yields its URL."""

    async def make(resources):
        return make_app(config_from(raw), CollectorRegistry()), None

    with serving(make) as (url, _):
        yield url


@contextlib.contextmanager
def loadgen_api(config_file=None, *, applied: bool = False, users: int = 0) -> Iterator[tuple[str, LiveConfig]]:
    """The loadgen master's /stormlab/config over the base in ``config_file`` (None: the
    defaults), on a real HTTP server: yields (URL, its LiveConfig). ``applied``: one worker
    that applies each patch at once (else none reports). Beside it, locust's own
    ``/stats/requests`` as a master with ``users`` running clients answers it."""
    live = LiveConfig(load_base(file=config_file, env={}))
    app = Flask("loadgen")
    workers = (lambda: {"w1": live.generation}) if applied else dict
    control_api.add_routes(app, live, publish=lambda: None, workers=workers)
    app.add_url_rule("/stats/requests", "stats", lambda: {"state": "running" if users else "stopped",
                                                          "user_count": users})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", live
    finally:
        server.shutdown()
        thread.join(10)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # a line per request would bury a failure's report
        pass


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
