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

from services.inputs import BadRequest, json_body
from services.keys import SETTINGS
from services.membership import ANNOUNCEMENT_SCHEMA, Membership
from services.padding import padded_json
from services.settings import ServiceConfig
from services.workload import serve
from stormlab_common.config import NAME_SCHEMA
from stormlab_common.web import app_key, json_error

MEMBERSHIP = app_key("membership", Membership)
HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
SERVICE_NAME = re.compile(NAME_SCHEMA["pattern"])
TTL_SECONDS = 30
EXPECTED_ANNOUNCEMENT = '{"endpoints": [{"replica": "kv-2", "address": "172.20.0.7:8080"}, ...]}'


def install(app: web.Application, config: ServiceConfig, metrics) -> None:
    def publish(service: str, version: int, endpoints: int) -> None:
        metrics.membership_version.labels(config.name, config.replica, service).set(version)
        metrics.membership_endpoints.labels(config.name, config.replica, service).set(endpoints)

    app[MEMBERSHIP] = Membership(config.membership_services, publish)
    app.router.add_get("/v1/resolve/{name}", resolve, name="resolve")
    app.router.add_get("/v1/membership/{service}", get_membership, name="membership")
    app.router.add_get("/admin/membership", list_memberships, name="admin_membership")
    app.router.add_put("/admin/membership/{service}", announce, name="admin_membership_announce")


def addresses_of(name: str) -> list[str]:
    """Stable made-up addresses: the same name always resolves the same way."""
    digest = hashlib.sha256(name.encode()).digest()
    return [f"10.{digest[i]}.{digest[i + 1]}.{digest[i + 2] or 1}" for i in (0, 3)]


async def resolve(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not HOST_NAME.match(name):
        raise BadRequest(400, "bad_name", f"invalid host name {name!r}", expected="e.g. kv.internal")
    size = request.app[SETTINGS].current.live.work.response_bytes
    return await serve(request, lambda: padded_json(
        {"name": name, "addresses": addresses_of(name), "ttl_seconds": TTL_SECONDS}, size))


def service_of(request: web.Request) -> str:
    service = request.match_info["service"]
    if not SERVICE_NAME.match(service):
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
    body = await json_body(request, ANNOUNCEMENT_SCHEMA, EXPECTED_ANNOUNCEMENT, limit)
    republish = body.get("republish", False)
    found, changed = request.app[MEMBERSHIP].announce(service, body["endpoints"], republish)
    return web.json_response({**found, "changed": changed})
