"""The internal clients as a locust population: ``locust -f loadgen/locustfile.py``.

Locally (one process) or distributed (``--master`` plus ``--worker`` processes, as the
compose stack runs it): every process that runs clients exports its own client metrics on
``metrics_port``, and Prometheus adds them up; the master runs none. The master (or the one
local process) also serves the live config API on locust's web port, and carries each change
to the workers; and serves when the clients sent their attempts, which each worker ships to
it; and which workers are connected, where each advertised its metrics (a worker on another
host, docs/remote-workers.md); and the OpenAPI document of all three. See docs/clients.md.
"""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import time

import gevent
import locust.runners
from locust import LoadTestShape, events  # first: locust's gevent patching must precede the sockets' use
from locust.runners import MasterRunner, WorkerRunner
from prometheus_client import CollectorRegistry, start_http_server

from loadgen import (
    attempts_api,
    config_sync,
    control_api,
    http_guard,
    openapi,
    timeline_sync,
    worker_announce,
    workers_api,
)
from loadgen.attempt_timeline import AttemptTimeline
from loadgen.client import InternalClient
from loadgen.config import load_base, load_placement
from loadgen.live_config import LiveConfig
from loadgen.runtime import Runtime
from loadgen.worker_registry import WorkerRegistry
from stormlab_common.config import ConfigError

log = logging.getLogger("loadgen")

try:
    PLACEMENT = load_placement()  # where this process stands: the device as it reaches it, its metrics
    LIVE = LiveConfig(load_base(), device_host=PLACEMENT.device_host)
except ConfigError as exc:
    print(f"loadgen: {exc}", file=sys.stderr)
    sys.exit(2)
CONFIG = LIVE.config  # as loaded; what a live patch may not change (metrics_port, shape) is read here

__all__ = ["InternalClient"]  # the user class locust runs

# Debian's locust 2.12 package reports an empty version, and its master turns away any worker
# announcing an empty version as "an old (pre 2.0) worker". Master and workers run this same
# file, so giving both the installed distribution's version makes the handshake match.
if not locust.runners.__version__:
    locust.runners.__version__ = importlib.metadata.version("locust") or "unknown"
_run_limit: gevent.Greenlet | None = None


class AttemptFailed(Exception):
    """How a failed attempt shows in locust's own statistics."""


@events.init.add_listener
def set_up(environment, **_kwargs):
    runner = environment.runner
    if runner is None:
        return  # not a run (e.g. --list)
    # this process's: its clients' attempts are counted here; a master's adds up its workers'
    timeline = AttemptTimeline(clock=time.time)
    if not isinstance(runner, WorkerRunner):
        _serve_live_config(environment)
        _serve_attempt_timeline(environment, timeline)
        _serve_workers(environment)
        _serve_api_document(environment)
    if isinstance(runner, MasterRunner):
        return  # the master only coordinates; its workers run the clients and export metrics
    if isinstance(runner, WorkerRunner):
        timeline_sync.Worker(runner, timeline).start()
    # Only a worker placed elsewhere (tools/worker.sh sets both) stops when its master goes
    # silent: the stack's own workers stop with the stack, and on a machine loaded by a storm a
    # late answer must not end a worker in the middle of a run.
    placed_elsewhere = PLACEMENT.metrics_advertise is not None or PLACEMENT.device_host is not None
    worker_announce.Worker(runner, PLACEMENT.metrics_advertise,
                           watch_master=isinstance(runner, WorkerRunner) and placed_elsewhere).start()
    if PLACEMENT.device_host is not None:
        log.info("reaching the device at %s: targets %s", PLACEMENT.device_host,
                 ", ".join(f"{name} {url}" for name, url in CONFIG.target_urls.items()))

    def locust_stats(name, call, attempt, sent):
        environment.events.request.fire(
            request_type=call.method, name=name, response_time=sent.seconds * 1000,
            response_length=sent.response_bytes, response=None, context={"attempt": attempt},
            exception=None if sent.outcome.ok else AttemptFailed(sent.outcome.kind),
            start_time=time.time() - sent.seconds, url=call.path)

    registry = CollectorRegistry()
    InternalClient.runtime = Runtime(
        CONFIG, registry, clock=time.monotonic, sleep=gevent.sleep,
        worker_index=lambda: getattr(environment.runner, "worker_index", 0),
        on_attempt=locust_stats, on_send=timeline.record)
    worker = config_sync.Worker(runner, LIVE, InternalClient.runtime, ask=isinstance(runner, WorkerRunner))
    InternalClient.runtime.wait_for_config = worker.wait_for_first_config
    start_http_server(CONFIG.metrics_port, registry=registry)
    log.info("client metrics on :%d", CONFIG.metrics_port)


def _serve_live_config(environment):
    """The master's part (a local runner's too): the API, and the patch sent to the workers."""
    runner = environment.runner
    distributed = isinstance(runner, MasterRunner)
    master = config_sync.Master(runner, LIVE, (lambda: list(runner.clients)) if distributed else None)
    if distributed:
        # a new run: the current patch again, ahead of the spawn messages (see config_sync)
        environment.events.test_start.add_listener(master.publish)
    web_ui = environment.web_ui
    if web_ui is not None:
        control_api.add_routes(web_ui.app, LIVE, master.publish, master.workers,
                               protect=getattr(web_ui, "auth_required_if_enabled", lambda view: view))


def _serve_attempt_timeline(environment, timeline: AttemptTimeline):
    """The master's part (a local runner's too): the attempts API, over the slots its workers
    ship (a local runner's clients record straight into it)."""
    runner = environment.runner
    distributed = isinstance(runner, MasterRunner)
    master = timeline_sync.Master(runner, timeline, (lambda: list(runner.clients)) if distributed else None)
    web_ui = environment.web_ui
    if web_ui is not None:
        attempts_api.add_routes(web_ui.app, timeline, master.shipped,
                                protect=getattr(web_ui, "auth_required_if_enabled", lambda view: view))


def _serve_workers(environment):
    """The master's part (a local runner's too): who runs the clients, where to scrape each."""
    runner = environment.runner
    distributed = isinstance(runner, MasterRunner)
    connected = (lambda: list(runner.clients)) if distributed else None
    registry = WorkerRegistry(clock=time.time)
    worker_announce.Master(runner, registry, connected)
    web_ui = environment.web_ui
    if web_ui is not None:
        workers_api.add_routes(web_ui.app, registry, connected or (lambda: ["local"]),
                               protect=getattr(web_ui, "auth_required_if_enabled", lambda view: view))


def _serve_api_document(environment):
    """The OpenAPI document, and JSON errors for what no /stormlab/ route takes."""
    web_ui = environment.web_ui
    if web_ui is not None:
        openapi.add_routes(web_ui.app, protect=getattr(web_ui, "auth_required_if_enabled", lambda view: view))
        http_guard.install(web_ui.app, lambda: openapi.openapi_document()["paths"])


@events.test_start.add_listener
def bound_the_run(environment, **_kwargs):
    """Whatever started it (UI, API, shape, headless), a run stops by itself in time."""
    global _run_limit
    if _run_limit is not None:
        _run_limit.kill(block=False)
    if environment.runner is not None:
        _run_limit = gevent.spawn_later(LIVE.config.max_run_seconds, _stop, environment)


def _stop(environment):
    log.warning("run reached max_run_seconds=%s; stopping it", LIVE.config.max_run_seconds)
    environment.runner.stop()


if CONFIG.shape is not None:

    class ConfiguredShape(LoadTestShape):
        """The configured shape (stormlab_common/contracts/shapes.py), run from the start of
        the test."""

        def tick(self):
            clients = CONFIG.shape.clients_at(self.get_run_time())
            return None if clients is None else (clients, CONFIG.shape.spawn_rate)
