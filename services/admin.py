"""The admin API on the service's port: read and change the live settings.

Not put through the replica's capacity: an operator must be able to switch a mitigation
on precisely when the replica is overloaded. A change is a JSON merge patch (RFC 7386) of
the live sections over the settings in force: keys merge, ``null`` restores a key's
default. It is checked whole before anything changes: a malformed change is refused with
400, a well-formed one the settings in force make invalid (a lognormal's p99 under the
mean in force) with 409, each with every problem named by its path.
"""

from __future__ import annotations

from aiohttp import web

from services.api_doc import answer, body_errors, error, request_body, route
from services.inputs import BadRequest, json_data, json_object
from services.keys import SETTINGS
from stormlab_common.contracts.service import LIVE_SECTIONS, ChangeRefused, ServiceConfig, live_change_schema
from stormlab_common.model import schema_of

MERGE_PATCH = ("application/merge-patch+json", "application/json")
EXAMPLE = {"mitigations": {"admission_control": {"enabled": True}}}
EXPECTED_CHANGE = ("a JSON merge patch of the live sections (" + ", ".join(LIVE_SECTIONS) + "), e.g. "
                   '{"mitigations": {"admission_control": {"enabled": true}}}; null restores a default')


def settings_schema() -> dict:
    return {"type": "object", "required": ["config", "live_sections"],
            "properties": {"config": schema_of(ServiceConfig),
                           "live_sections": {"type": "array", "items": {"enum": list(LIVE_SECTIONS)}}}}


def add_admin_routes(app: web.Application, limit: int) -> None:
    route(app, "GET", "/admin/config", get_config, name="admin_config", summary="the settings in force",
          responses={"200": answer("the settings, and which sections may change live", settings_schema())})
    route(app, "PATCH", "/admin/config", change_config, name="admin_config_change",
          summary="change live settings (a JSON merge patch; null restores a default)",
          links={"200": "admin_config"},
          body=request_body(live_change_schema(), EXPECTED_CHANGE, MERGE_PATCH, EXAMPLE),
          responses={"200": answer("applied: the settings now in force", settings_schema()),
                     "400": error("malformed: not JSON, not a merge patch of live sections, a "
                                  "bad value; nothing changed"),
                     "409": error("well formed, but the settings it would give break a rule "
                                  "(e.g. a lognormal's p99 against the mean in force); nothing changed"),
                     **body_errors(limit, MERGE_PATCH)})


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[SETTINGS].describe())


async def change_config(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    data = await json_data(request, EXPECTED_CHANGE, settings.current.max_request_bytes, MERGE_PATCH)
    change = json_object(data, EXPECTED_CHANGE, "invalid_config")
    try:
        settings.change(change)
    except ChangeRefused as exc:
        status, reason = (409, "config_conflict") if exc.conflict else (400, "invalid_config")
        raise BadRequest(status, reason, "change refused; the settings in force are unchanged",
                         problems=exc.problems, expected=EXPECTED_CHANGE) from exc
    return web.json_response(settings.describe())
