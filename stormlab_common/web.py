"""Small aiohttp helpers every component's HTTP side uses the same way."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def app_key(name: str, value_type: type) -> Any:
    """A typed ``web.AppKey`` where aiohttp has it (3.9+), else the plain string key."""
    app_key_class = getattr(web, "AppKey", None)
    return app_key_class(name, value_type) if app_key_class else name


def metrics_handler(registry: CollectorRegistry, off_the_loop: bool = False):
    """An aiohttp handler serving ``registry`` in the Prometheus text format.

    ``?name[]=<metric>`` (repeatable) restricts the answer to those metrics, as
    prometheus-client's own handlers do: the experiment runner samples one counter ten
    times a second and should not make the device render every histogram each time.

    ``?connection=close`` closes the connection after the answer, so the scraper's next
    scrape needs a new connection. The operators' scrape job asks for it: their monitoring
    then sets up connections across the device like every other client (as agents that
    connect per push do) instead of riding one connection opened before the storm.

    ``off_the_loop`` renders on a worker thread: for collectors that block on the kernel
    (the router's netlink reads, which pyroute2 0.8 and later refuse inside a running loop).
    """

    async def handle_metrics(request: web.Request) -> web.Response:
        names = request.query.getall("name[]", [])
        source = registry.restricted_registry(names) if names else registry
        body = await asyncio.to_thread(generate_latest, source) if off_the_loop else generate_latest(source)
        response = web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
        if request.query.get("connection") == "close":
            response.force_close()
        return response

    return handle_metrics


def json_error(status: int, message: str, **details: Any) -> web.Response:
    """A JSON error body that says what is wrong and what is expected."""
    return web.json_response({"error": message, **details}, status=status)
