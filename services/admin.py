"""The admin API on the service's port: read and change the live settings.

Not put through the replica's capacity: an operator must be able to switch a mitigation
on precisely when the replica is overloaded. A bad change is refused with every problem
named by its path, and the settings in force stay as they were.
"""

from __future__ import annotations

from aiohttp import web

from services.inputs import BadRequest, json_body
from services.keys import SETTINGS
from stormlab_common.config import ConfigError

CHANGE_SCHEMA = {"type": "object"}  # the shape is checked against the service schema itself
EXPECTED_CHANGE = ('a JSON object with the sections to change, e.g. '
                   '{"mitigations": {"admission_control": {"enabled": true}}}')


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/admin/config", get_config, name="admin_config")
    app.router.add_patch("/admin/config", change_config, name="admin_config_change")


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[SETTINGS].describe())


async def change_config(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    change = await json_body(request, CHANGE_SCHEMA, EXPECTED_CHANGE, settings.current.max_request_bytes)
    try:
        settings.change(change)
    except ConfigError as exc:
        raise BadRequest(400, "invalid_config", "change refused; the settings in force are unchanged",
                         problems=exc.problems, expected=EXPECTED_CHANGE) from exc
    return web.json_response(settings.describe())
