"""dns: internal name resolution (small answers, high rate), and the memberships the
scaling trigger announces.

Clients poll ``GET /v1/membership/{service}`` (through the proxy, like every lookup) and
reconnect when the version changes; the trigger announces on ``PUT
/admin/membership/{service}``. The contract is in docs/services.md.
"""

from __future__ import annotations

import hashlib
import re

from aiohttp import web

from services.api_doc import answer, body_errors, error, request_body, route
from services.inputs import BadRequest, json_body
from services.keys import SETTINGS
from services.membership import MEMBERSHIP_SCHEMA, Membership
from services.padding import padded_json
from services.workload import serve
from stormlab_common.config import NAME_SCHEMA
from stormlab_common.contracts.service import Announcement, ServiceConfig
from stormlab_common.model import dump, schema_of
from stormlab_common.web import app_key, json_error

MEMBERSHIP = app_key("membership", Membership)
HOST_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
HOST_NAME = re.compile(HOST_NAME_PATTERN)
SERVICE_NAME = re.compile(NAME_SCHEMA["pattern"])
TTL_SECONDS = 30
EXPECTED_ANNOUNCEMENT = '{"endpoints": [{"replica": "kv-2", "address": "172.20.0.7:8080"}, ...]}'
ANNOUNCEMENT_EXAMPLE = {"endpoints": [{"replica": "kv-2", "address": "172.20.0.7:8080"}]}
RESOLVED = {"type": "object", "required": ["name", "addresses", "ttl_seconds"],
            "properties": {"name": {"type": "string"},
                           "addresses": {"type": "array", "items": {"type": "string"}},
                           "ttl_seconds": {"type": "integer"}, "padding": {"type": "string"}}}
HOST = {"type": "string", "pattern": HOST_NAME_PATTERN, "maxLength": 253, "description": "e.g. kv.internal"}
ANNOUNCED = {**MEMBERSHIP_SCHEMA, "required": [*MEMBERSHIP_SCHEMA["required"], "changed"],
             "properties": {**MEMBERSHIP_SCHEMA["properties"], "changed": {"type": "boolean"}}}
ALL = {"type": "object", "required": ["services"],
       "properties": {"services": {"type": "array", "items": MEMBERSHIP_SCHEMA}}}


def install(app: web.Application, config: ServiceConfig, metrics) -> None:
    def publish(service: str, version: int, endpoints: int) -> None:
        metrics.membership_version.labels(config.name, config.replica, service).set(version)
        metrics.membership_endpoints.labels(config.name, config.replica, service).set(endpoints)

    app[MEMBERSHIP] = Membership(config.membership.services, publish)
    service = {"service": dict(NAME_SCHEMA)}
    route(app, "GET", "/v1/resolve/{name}", resolve, name="resolve", work=True,
          path_parameters={"name": HOST},
          summary="resolve a host name (stable made-up addresses), padded to work.response_bytes",
          responses={"200": answer("the addresses", RESOLVED),
                     "400": error("not a host name, or a malformed header")})
    route(app, "GET", "/v1/membership/{service}", get_membership, name="membership", work=True,
          path_parameters=service, summary="a service's published membership (clients poll it)",
          responses={"200": answer("the membership", MEMBERSHIP_SCHEMA),
                     "400": error("not a service name, or a malformed header"),
                     "404": error("nothing published for that service (known_services: those that are)")})
    route(app, "GET", "/admin/membership", list_memberships, name="admin_membership",
          summary="every membership published", responses={"200": answer("memberships", ALL)})
    route(app, "PUT", "/admin/membership/{service}", announce, name="admin_membership_announce",
          path_parameters=service, summary="announce a service's endpoints (a new version if they changed)",
          body=request_body(schema_of(Announcement), EXPECTED_ANNOUNCEMENT, example=ANNOUNCEMENT_EXAMPLE),
          responses={"200": answer("the membership published, and whether it changed", ANNOUNCED),
                     "400": error("not a service name, or not an announcement (each problem named)"),
                     **body_errors(config.max_request_bytes)})


def addresses_of(name: str) -> list[str]:
    """Stable made-up addresses: the same name always resolves the same way."""
    digest = hashlib.sha256(name.encode()).digest()
    return [f"10.{digest[i]}.{digest[i + 1]}.{digest[i + 2] or 1}" for i in (0, 3)]


async def resolve(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not HOST_NAME.fullmatch(name):
        raise BadRequest(400, "bad_name", f"invalid host name {name!r}", expected="e.g. kv.internal")
    size = request.app[SETTINGS].current.work.response_bytes
    return await serve(request, lambda: padded_json(
        {"name": name, "addresses": addresses_of(name), "ttl_seconds": TTL_SECONDS}, size))


def service_of(request: web.Request) -> str:
    service = request.match_info["service"]
    if not SERVICE_NAME.fullmatch(service):
        raise BadRequest(400, "bad_service", f"invalid service name {service!r}",
                         expected=NAME_SCHEMA["description"])
    return service


async def get_membership(request: web.Request) -> web.StreamResponse:
    service, membership = service_of(request), request.app[MEMBERSHIP]

    def look_up() -> web.Response:
        found = membership.get(service)
        if found is None:
            return json_error(404, f"no membership for {service!r}", known_services=membership.services)
        return web.json_response(found)

    return await serve(request, look_up)


async def list_memberships(request: web.Request) -> web.Response:
    membership = request.app[MEMBERSHIP]
    return web.json_response({"services": [membership.get(s) for s in membership.services]})


async def announce(request: web.Request) -> web.Response:
    service = service_of(request)
    limit = request.app[SETTINGS].current.max_request_bytes
    body = await json_body(request, Announcement, EXPECTED_ANNOUNCEMENT, limit)
    found, changed = request.app[MEMBERSHIP].announce(service, dump(body.endpoints), body.republish)
    return web.json_response({**found, "changed": changed})
