"""The proxy's control API, on its own port: JSON over HTTP (docs/proxy.md, /openapi.json).

Handlers only read the request and delegate to the Topology, which owns the state and checks
every change before making it; this module maps its errors to status codes, and answers
every refusal, its own or aiohttp's, as JSON that says what is expected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.openapi import EXAMPLES, openapi_document
from proxy.topology import Conflict, NotFound, Topology
from stormlab_common.config import ConfigError
from stormlab_common.contracts.kernel_device import PROXY
from stormlab_common.json_body import BodyRefused, json_object
from stormlab_common.time_slots import SLOT_SECONDS, WINDOW_EXPECTED, parse_window
from stormlab_common.web import app_key, json_error, metrics_handler

log = logging.getLogger(__name__)

TOPOLOGY = app_key("topology", Topology)
CHANGES = app_key("changes", asyncio.Lock)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CHANGING_METHODS = ("POST", "PATCH", "DELETE")


def make_admin_app(topology: Topology, registry: CollectorRegistry) -> web.Application:
    app = web.Application(middlewares=[errors_as_json])
    app[TOPOLOGY] = topology
    app[CHANGES] = asyncio.Lock()  # one change at a time: a link change may wait to bind a port
    app.router.add_routes([
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
    ])
    return app


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if request.method in CHANGING_METHODS:
            async with request.app[CHANGES]:
                return await handler(request)
        return await handler(request)
    except ConfigError as exc:
        return json_error(400, refused(request.method, exc), problems=exc.problems)
    except BodyRefused as exc:
        return json_error(exc.status, str(exc), **exc.details)
    except NotFound as exc:
        return json_error(404, str(exc), known=exc.known)
    except Conflict as exc:
        return json_error(409, str(exc), **({"problems": exc.problems} if exc.problems else {}))
    except web.HTTPMethodNotAllowed as exc:
        allowed = sorted(exc.allowed_methods)
        response = json_error(405, f"method {request.method} is not allowed on {request.path}; "
                                   f"expected one of {', '.join(allowed)}", allowed_methods=allowed)
        response.headers["Allow"] = ", ".join(allowed)
        return response
    except web.HTTPNotFound:
        return json_error(404, f"no such endpoint {request.path}; see /openapi.json")
    except web.HTTPException as exc:  # aiohttp's own refusals, as JSON like the rest
        return json_error(exc.status, exc.reason)
    except Exception:  # a bug: say so in the API's shape, and leave the details to the log
        log.exception("admin API: %s %s failed", request.method, request.path)
        return json_error(500, "internal error in the proxy's admin API; see the proxy's log")


def refused(method: str, exc: ConfigError) -> str:
    """One line for a 400: what was refused, by name, how many problems (each in ``problems``),
    and that nothing changed, e.g. "change to device 'border' refused (1 problem); nothing
    changed". (Not "invalid device 'border'": the device is fine, the request was not.)"""
    count = len(exc.problems)
    problems = f"{count} problem{'s' * (count != 1)}"
    source = getattr(exc, "source", "request")
    if source == "request body":
        return f"request body refused ({problems}); nothing changed"
    if method == "POST":
        return f"new {source} refused ({problems}); nothing created"
    target = "the settings" if source == "settings" else source
    return f"change to {target} refused ({problems}); nothing changed"


async def health(request: web.Request) -> web.Response:
    topology = request.app[TOPOLOGY]
    if not topology.started:
        return json_error(503, "links are not listening yet")
    return web.json_response({"status": "ok", "kind": PROXY, "devices": len(topology.devices),
                              "links": len(topology.links)})


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
    return _ok(request.app[TOPOLOGY].update_settings(await json_object(request, EXAMPLES)))


async def create_device(request: web.Request) -> web.Response:
    return _ok(request.app[TOPOLOGY].create_device(await json_object(request, EXAMPLES)), status=201)


async def patch_device(request: web.Request) -> web.Response:
    body = await json_object(request, EXAMPLES)
    return _ok(request.app[TOPOLOGY].update_device(request.match_info["name"], body))


async def delete_device(request: web.Request) -> web.Response:
    request.app[TOPOLOGY].delete_device(request.match_info["name"])
    return web.Response(status=204)


async def create_link(request: web.Request) -> web.Response:
    return _ok(await request.app[TOPOLOGY].create_link(await json_object(request, EXAMPLES)), status=201)


async def patch_link(request: web.Request) -> web.Response:
    body = await json_object(request, EXAMPLES)
    return _ok(await request.app[TOPOLOGY].update_link(request.match_info["name"], body))


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


def _ok(body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)
