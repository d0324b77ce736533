"""The proxy's control API, on its own port: JSON over HTTP.

Handlers only parse the request and delegate to the Topology, which owns the state and
validates every change before making it; this module maps its errors to status codes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.openapi import openapi_document
from proxy.topology import Conflict, NotFound, Topology
from stormlab_common.config import ConfigError
from stormlab_common.time_slots import SLOT_SECONDS, WINDOW_EXPECTED, parse_window
from stormlab_common.web import app_key, json_error, metrics_handler

TOPOLOGY = app_key("topology", Topology)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_admin_app(topology: Topology, registry: CollectorRegistry) -> web.Application:
    app = web.Application(middlewares=[errors_as_json])
    app[TOPOLOGY] = topology
    routes = [
        web.get("/health", health),
        web.get("/metrics", metrics_handler(registry)),
        web.get("/openapi.json", openapi),
        web.get("/settings", get_settings),
        web.patch("/settings", patch_settings),
        web.get("/devices", list_devices),
        web.post("/devices", create_device),
        web.get("/devices/{name}", get_device),
        web.patch("/devices/{name}", patch_device),
        web.delete("/devices/{name}", delete_device),
        web.get("/links", list_links),
        web.post("/links", create_link),
        web.get("/links/{name}", get_link),
        web.patch("/links/{name}", patch_link),
        web.delete("/links/{name}", delete_link),
        web.post("/counters/reset", reset_counters),
        web.get("/arrivals", get_arrivals),
    ]
    app.router.add_routes(routes)
    return app


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ConfigError as exc:
        return json_error(400, str(exc).splitlines()[0].rstrip(":"), problems=exc.problems)
    except NotFound as exc:
        return json_error(404, str(exc), known=exc.known)
    except Conflict as exc:
        return json_error(409, str(exc))
    except web.HTTPMethodNotAllowed as exc:
        return json_error(405, f"method {request.method} is not allowed on {request.path}",
                          allowed_methods=sorted(exc.allowed_methods))
    except web.HTTPNotFound:
        return json_error(404, f"no such endpoint {request.path}; see /openapi.json")


async def health(request: web.Request) -> web.Response:
    topology = request.app[TOPOLOGY]
    if not topology.started:
        return json_error(503, "links are not listening yet")
    return web.json_response({"status": "ok", "devices": len(topology.devices), "links": len(topology.links)})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


async def get_settings(request: web.Request) -> web.Response:
    return _ok(request.app[TOPOLOGY].get_settings())


async def list_devices(request: web.Request) -> web.Response:
    return _ok(request.app[TOPOLOGY].list_devices())


async def get_device(request: web.Request) -> web.Response:
    return _ok(request.app[TOPOLOGY].get_device(request.match_info["name"]))


async def list_links(request: web.Request) -> web.Response:
    return _ok(request.app[TOPOLOGY].list_links())


async def get_link(request: web.Request) -> web.Response:
    return _ok(request.app[TOPOLOGY].get_link(request.match_info["name"]))


async def patch_settings(request: web.Request) -> web.Response:
    return _ok(request.app[TOPOLOGY].update_settings(await _json_object(request)))


async def create_device(request: web.Request) -> web.Response:
    body = await _json_object(request)
    name = body.pop("name", None)
    if name is None:
        raise ConfigError(["name: required key is missing"], "device")
    return _ok(request.app[TOPOLOGY].create_device(name, body), status=201)


async def patch_device(request: web.Request) -> web.Response:
    topology = request.app[TOPOLOGY]
    return _ok(topology.update_device(request.match_info["name"], await _json_object(request)))


async def delete_device(request: web.Request) -> web.Response:
    request.app[TOPOLOGY].delete_device(request.match_info["name"])
    return web.Response(status=204)


async def create_link(request: web.Request) -> web.Response:
    body = await _json_object(request)
    name = body.pop("name", None)
    if name is None:
        raise ConfigError(["name: required key is missing"], "link")
    return _ok(await request.app[TOPOLOGY].create_link(name, body), status=201)


async def patch_link(request: web.Request) -> web.Response:
    topology = request.app[TOPOLOGY]
    return _ok(await topology.update_link(request.match_info["name"], await _json_object(request)))


async def delete_link(request: web.Request) -> web.Response:
    await request.app[TOPOLOGY].delete_link(request.match_info["name"])
    return web.Response(status=204)


async def reset_counters(request: web.Request) -> web.Response:
    request.app[TOPOLOGY].reset_counters()
    return web.Response(status=204)


async def get_arrivals(request: web.Request) -> web.Response:
    topology = request.app[TOPOLOGY]
    since, until, problems = parse_window(request.query.get, topology.arrivals.kept_since())
    if problems:
        count = len(problems)
        summary = f"invalid arrivals query ({count} problem{'s' * (count != 1)}); {WINDOW_EXPECTED}"
        return json_error(400, summary, problems=problems)
    device = request.query.get("device")
    return _ok({"slot_seconds": SLOT_SECONDS, "since": since, "until": until, "device": device,
                "slots": topology.arrivals_window(since, until, device)})


async def _json_object(request: web.Request) -> dict:
    text = await request.text()
    try:
        body = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise ConfigError([f"(body): not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"],
                          "request body") from exc
    if not isinstance(body, dict):
        raise ConfigError([f"(body): expected a JSON object, got {type(body).__name__}"], "request body")
    return body


def _ok(body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)
