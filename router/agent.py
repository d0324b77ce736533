"""The router's control API, on its admin port only: the proxy's routes for devices and links,
their JSON shapes, validation and error statuses (docs/proxy.md), over the kernel device.

Handlers read the request and hand it to RouterState, which owns the state; kernel work runs
on a worker thread so the event loop keeps answering, and changes are taken one at a time.
Every refusal, the state's, the kernel's or aiohttp's, is answered as JSON saying what is
expected, as the proxy answers it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from router.errors import Conflict, KernelRefused, NotFound
from router.state import RouterState
from stormlab_common.config import ConfigError
from stormlab_common.contracts.kernel_device import KERNEL
from stormlab_common.json_body import BodyRefused, Examples, json_object
from stormlab_common.web import app_key, json_error, metrics_handler

log = logging.getLogger(__name__)

STATE = app_key("router_state", RouterState)
CHANGES = app_key("changes", asyncio.Lock)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# What each endpoint taking a body takes, by example, in its refusals (as the proxy's do).
EXAMPLES: Examples = {
    ("POST", "/devices"): {"name": "dns-path", "connections": {"new_per_second": 1000}},
    ("PATCH", "/devices/{name}"): {"downstream": {"bytes_per_second": 1000000}},
    ("PATCH", "/links/{name}"): {"device": "dns-path"},
}


def make_agent_app(state: RouterState, registry: CollectorRegistry) -> web.Application:
    app = web.Application(middlewares=[errors_as_json])
    app[STATE] = state
    app[CHANGES] = asyncio.Lock()
    app.router.add_routes([
        web.get("/health", health),
        web.get("/healthz", health),
        web.get("/metrics", metrics_handler(registry, off_the_loop=True)),  # collectors read the kernel
        web.get("/devices", list_devices),
        web.post("/devices", create_device),
        web.get("/devices/{name}", get_device),
        web.patch("/devices/{name}", patch_device),
        web.delete("/devices/{name}", delete_device),
        web.get("/links", list_links),
        web.get("/links/{name}", get_link),
        web.patch("/links/{name}", patch_link),
    ])
    return app


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if request.method in ("PATCH", "POST", "DELETE"):
            async with request.app[CHANGES]:
                return await handler(request)
        return await handler(request)
    except ConfigError as exc:
        return json_error(400, refused(exc), problems=exc.problems)
    except BodyRefused as exc:
        return json_error(exc.status, str(exc), **exc.details)
    except NotFound as exc:
        return json_error(404, str(exc), known=exc.known)
    except Conflict as exc:
        return json_error(409, str(exc), **({"problems": exc.problems} if exc.problems else {}))
    except KernelRefused as exc:
        return json_error(500, "the kernel refused the change; nothing changed (the previous rules are in "
                               "force)", kernel=str(exc))
    except web.HTTPMethodNotAllowed as exc:
        allowed = sorted(exc.allowed_methods)
        response = json_error(405, f"method {request.method} is not allowed on {request.path}; "
                                   f"expected one of {', '.join(allowed)}", allowed_methods=allowed)
        response.headers["Allow"] = ", ".join(allowed)
        return response
    except web.HTTPNotFound:
        return json_error(404, f"no such endpoint {request.path}; see docs/kernel-device.md")
    except web.HTTPException as exc:
        return json_error(exc.status, exc.reason)
    except Exception:  # a bug: say so in the API's shape; the details go to the log
        log.exception("router API: %s %s failed", request.method, request.path)
        return json_error(500, "internal error in the router's agent; see its log")


def refused(exc: ConfigError) -> str:
    """The proxy's one line for a 400: what was refused, how many problems, nothing changed."""
    count = len(exc.problems)
    problems = f"{count} problem{'s' * (count != 1)}"
    if exc.source == "request body":
        return f"request body refused ({problems}); nothing changed"
    if exc.source.startswith("new "):
        return f"{exc.source} refused ({problems}); nothing created"
    return f"change to {exc.source} refused ({problems}); nothing changed"


async def health(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if not state.started:
        return json_error(503, "the rules are not in force yet")
    return web.json_response({"status": "ok", "kind": KERNEL, "devices": len(state.devices),
                              "links": len(state.links)})


async def list_devices(request: web.Request) -> web.Response:
    return web.json_response(await asyncio.to_thread(request.app[STATE].list_devices))


async def get_device(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return web.json_response(await asyncio.to_thread(request.app[STATE].get_device, name))


async def create_device(request: web.Request) -> web.Response:
    body = await json_object(request, EXAMPLES)
    return web.json_response(await asyncio.to_thread(request.app[STATE].create_device, body), status=201)


async def delete_device(request: web.Request) -> web.Response:
    await asyncio.to_thread(request.app[STATE].delete_device, request.match_info["name"])
    return web.Response(status=204)


async def patch_device(request: web.Request) -> web.Response:
    body = await json_object(request, EXAMPLES)
    name = request.match_info["name"]
    return web.json_response(await asyncio.to_thread(request.app[STATE].update_device, name, body))


async def list_links(request: web.Request) -> web.Response:
    return web.json_response(await asyncio.to_thread(request.app[STATE].list_links))


async def get_link(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return web.json_response(await asyncio.to_thread(request.app[STATE].get_link, name))


async def patch_link(request: web.Request) -> web.Response:
    body = await json_object(request, EXAMPLES)
    name = request.match_info["name"]
    return web.json_response(await asyncio.to_thread(request.app[STATE].update_link, name, body))
