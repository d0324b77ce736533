"""Small aiohttp helpers every component's HTTP side uses the same way."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def app_key(name: str, value_type: type) -> Any:
    """A typed ``web.AppKey`` where aiohttp has it (3.9+), else the plain string key."""
    app_key_class = getattr(web, "AppKey", None)
    return app_key_class(name, value_type) if app_key_class else name


def metrics_handler(registry: CollectorRegistry):
    """An aiohttp handler serving ``registry`` in the Prometheus text format."""

    async def handle_metrics(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle_metrics


def json_error(status: int, message: str, **details: Any) -> web.Response:
    """A JSON error body that says what is wrong and what is expected."""
    return web.json_response({"error": message, **details}, status=status)
