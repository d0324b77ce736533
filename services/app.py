"""The service's HTTP app: ``make_app(config, registry) -> web.Application``.

Routes every role has: ``GET /v1/work`` (generic work of the configured size), ``/health``,
``/metrics``, ``/openapi.json`` and ``GET``/``PATCH /admin/config``; the role adds its own
(services/roles/). Each route is described where it is added (services/api_doc.py).
Handlers are thin: they parse, validate and delegate to the objects that own the state.
"""

from __future__ import annotations

import asyncio
import functools
import time

from aiohttp import web
from prometheus_client import CollectorRegistry

from services import api_doc
from services.admin import add_admin_routes
from services.api_doc import answer, error, route
from services.inputs import BadRequest
from services.keys import LIFECYCLE, METRICS, SETTINGS, STATION, Lifecycle
from services.live_config import LiveConfig
from services.metrics import CLIENT_CLOSED, ServiceMetrics, outcome_of
from services.roles import ROLES
from services.scheduler import REJECTION_REASONS
from services.station import Station
from services.workload import client_gone, serve
from stormlab_common.contracts.service import ServiceConfig
from stormlab_common.web import json_error, metrics_handler

# Long enough to finish queued and in-flight work on SIGTERM, short enough for `down`.
DRAIN_SECONDS = 10
# Routes that are not the service's work: probes and scrapes are not counted as requests.
NOT_COUNTED = {"health", "metrics", "openapi"}
HEALTH = {"type": "object", "required": ["status", "service", "role", "replica"],
          "properties": {"status": {"const": "ok"}, "service": {"type": "string"}, "role": {"type": "string"},
                         "replica": {"type": "string"}}}
METRICS_QUERY = [
    {"name": "name[]", "in": "query", "required": False, "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string"}}, "description": "only these metrics"},
    {"name": "connection", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "close: close the connection after the answer (any other value: keep it)"},
]


def make_app(config: ServiceConfig, registry: CollectorRegistry) -> web.Application:
    metrics = ServiceMetrics(registry)
    station = Station(config, metrics, config.name, config.replica)
    settings = LiveConfig(config, station)
    app = web.Application(middlewares=[_measure(config, metrics)], client_max_size=config.max_request_bytes)
    app[SETTINGS], app[STATION], app[METRICS], app[LIFECYCLE] = settings, station, metrics, Lifecycle()
    app[api_doc.OPERATIONS] = {}
    _add_common_routes(app, registry)
    add_admin_routes(app, config.max_request_bytes)
    ROLES[config.role](app, config, metrics)
    _declare_rejections(app, config, metrics)
    app.cleanup_ctx.append(_lifetime)
    app.on_shutdown.append(_stop_taking_work)
    return app


def _add_common_routes(app: web.Application, registry: CollectorRegistry) -> None:
    route(app, "GET", "/health", health, name="health", summary="whether this replica serves",
          responses={"200": answer("serving", HEALTH), "503": error("not serving (starting or draining)")})
    route(app, "GET", "/metrics", metrics_handler(registry), name="metrics", query=METRICS_QUERY,
          summary="Prometheus metrics", responses={"200": answer("the text format", {"type": "string"},
                                                                 "text/plain")})
    route(app, "GET", "/openapi.json", openapi, name="openapi", summary="this document",
          responses={"200": answer("OpenAPI 3.1", {"type": "object"})})
    route(app, "GET", "/v1/work", work, name="work", work=True,
          summary="generic work: a service time, then work.response_bytes bytes",
          responses={"200": answer("done", {"type": "string"}, "application/octet-stream")})


async def openapi(request: web.Request) -> web.Response:
    config = request.app[SETTINGS].current
    return web.json_response(api_doc.document(
        request.app, f"stormlab service {config.name} ({config.role})",
        "A main-network service replica (docs/services.md). Errors are JSON saying what is "
        "wrong and what is expected; an unknown path answers 404, a method a path does not "
        "take 405 with Allow."))


def _declare_rejections(app: web.Application, config, metrics: ServiceMetrics) -> None:
    """Every endpoint's rejection counts at 0 from the start: a service that has shed nothing
    shows 0 on the dashboards, not "no data" (the Prometheus guide's "avoid missing metrics")."""
    for resource in app.router.resources():
        if resource.name and resource.canonical.startswith("/v1/"):  # work, through the station
            for reason in REJECTION_REASONS:
                metrics.rejected.labels(config.name, resource.name, config.replica, reason)


async def _lifetime(app: web.Application):
    app[LIFECYCLE].serving = True
    yield
    app[LIFECYCLE].serving = False
    await app[STATION].drain(DRAIN_SECONDS)  # anything whose handler is already gone


async def _stop_taking_work(app: web.Application) -> None:
    app[LIFECYCLE].serving = False  # the health check fails: take this replica out of rotation
    app[STATION].stop_accepting()


async def health(request: web.Request) -> web.Response:
    config = request.app[SETTINGS].current
    if not request.app[LIFECYCLE].serving:
        return json_error(503, "not serving (starting or draining)", service=config.name,
                          replica=config.replica)
    return web.json_response({"status": "ok", "service": config.name, "role": config.role,
                              "replica": config.replica})


async def work(request: web.Request) -> web.StreamResponse:
    """Generic work: a service time (a sleep), then a response of the configured size."""
    size = request.app[SETTINGS].current.work.response_bytes
    return await serve(request, lambda: web.Response(body=payload(size),
                                                     content_type="application/octet-stream"))


@functools.lru_cache(maxsize=16)
def payload(size: int) -> bytes:
    return (b"stormlab " * (size // 9 + 1))[:size]


def endpoints(app: web.Application) -> list[str]:
    return sorted({resource.canonical for resource in app.router.resources()})


def _measure(config: ServiceConfig, metrics: ServiceMetrics):
    @web.middleware
    async def measure(request: web.Request, handler):
        route_name = request.match_info.route.name
        if route_name in NOT_COUNTED:
            return await handler(request)
        labels = (config.name, route_name or "unmatched", config.replica)
        started = time.monotonic()
        metrics.in_flight.labels(*labels).inc()
        status = 500
        try:
            response = await _answer(request, handler,
                                     lambda reason: metrics.bad_requests.labels(*labels, reason).inc())
            status = CLIENT_CLOSED if client_gone(request) else response.status
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = CLIENT_CLOSED  # aiohttp < 3.10 cancels the handler when the client leaves
            raise
        finally:
            metrics.in_flight.labels(*labels).dec()
            metrics.duration.labels(*labels).observe(time.monotonic() - started)
            metrics.requests.labels(*labels, outcome_of(status)).inc()
        response.headers["X-Stormlab-Service"] = config.name
        response.headers["X-Stormlab-Replica"] = config.replica
        return response

    return measure


async def _answer(request: web.Request, handler, count_bad_request) -> web.StreamResponse:
    """The handler's response, or a JSON 4xx saying what is wrong and what is expected."""
    try:
        try:
            return await handler(request)
        except web.HTTPNotFound as exc:
            raise BadRequest(404, "not_found", f"no such endpoint {request.path}",
                             endpoints=endpoints(request.app)) from exc
        except web.HTTPMethodNotAllowed as exc:
            raise BadRequest(405, "method_not_allowed", f"method {request.method} is not allowed on "
                             f"{request.path}", allowed_methods=sorted(exc.allowed_methods)) from exc
    except BadRequest as exc:
        count_bad_request(exc.reason)
        response = json_error(exc.status, exc.message, **exc.details)
        if exc.status == 405:
            response.headers["Allow"] = ", ".join(exc.details["allowed_methods"])
        if request.body_exists and not request.content.at_eof():
            # refused without reading the whole body (too large, wrong type): the connection
            # cannot carry a next request, so say it closes (aiohttp < 3.9 would reset it)
            response.force_close()
        return response
