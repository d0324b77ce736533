"""GET /openapi.json describes every route a replica of each role serves, with the very
schemas its handlers parse with."""

import jsonschema
import pytest
from prometheus_client import CollectorRegistry

from services.app import make_app
from services.config import config_from
from stormlab_common.contracts.service import ROLES, Announcement, Launch, MetricPush, live_change_schema
from stormlab_common.model import schema_of

ROLE_ROUTES = {
    "control-plane": {("GET", "/v1/instances"), ("POST", "/v1/instances")},
    "dns": {("GET", "/v1/resolve/{name}"), ("GET", "/v1/membership/{service}"), ("GET", "/admin/membership"),
            ("PUT", "/admin/membership/{service}")},
    "kv": {("GET", "/v1/items/{key}"), ("PUT", "/v1/items/{key}"), ("DELETE", "/v1/items/{key}")},
    "monitoring-ingest": {("POST", "/v1/metrics")},
}
COMMON = {("GET", "/health"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/v1/work"),
          ("GET", "/admin/config"), ("PATCH", "/admin/config")}


def app_of(role):
    return make_app(config_from({"name": "svc", "role": role, "replica": "r1"}), CollectorRegistry())


async def document_of(aiohttp_client, role):
    client = await aiohttp_client(app_of(role))
    response = await client.get("/openapi.json")
    assert response.status == 200
    return await response.json()


def operations(document):
    return {(method.upper(), path): operation for path, item in document["paths"].items()
            for method, operation in item.items()}


def schemas_in(value):
    if isinstance(value, dict):
        if "schema" in value and isinstance(value["schema"], dict):
            yield value["schema"]
        for item in value.values():
            yield from schemas_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from schemas_in(item)


@pytest.mark.parametrize("role", ROLES)
async def test_every_route_served_is_described_and_nothing_else(aiohttp_client, role):
    document = await document_of(aiohttp_client, role)
    assert document["openapi"] == "3.1.0"
    assert set(operations(document)) == COMMON | ROLE_ROUTES[role]
    served = {(r.method, r.resource.canonical) for r in app_of(role).router.routes() if r.method != "HEAD"}
    assert served == set(operations(document))
    for schema in schemas_in(document):
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("role", ROLES)
async def test_work_can_be_shed_and_reads_the_attempt_headers(aiohttp_client, role):
    for (_, path), operation in operations(await document_of(aiohttp_client, role)).items():
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if path.startswith("/v1/"):
            assert operation["responses"]["503"]["headers"]["Retry-After"]["required"]
            assert names == {"X-Attempt", "X-Deadline-Ms"}
            assert "400" in operation["responses"]
        else:
            assert "503" not in operation["responses"] or path == "/health"
            assert not names


async def test_request_bodies_are_the_schemas_the_handlers_parse_with(aiohttp_client):
    expected = {
        ("control-plane", "POST", "/v1/instances"): schema_of(Launch),
        ("dns", "PUT", "/admin/membership/{service}"): schema_of(Announcement),
        ("monitoring-ingest", "POST", "/v1/metrics"): schema_of(MetricPush),
        ("kv", "PATCH", "/admin/config"): live_change_schema(),
    }
    for (role, method, path), schema in expected.items():
        body = operations(await document_of(aiohttp_client, role))[(method, path)]["requestBody"]
        for media in body["content"].values():
            assert media["schema"] == schema
            assert jsonschema.Draft202012Validator(schema).is_valid(media["example"])
    patch = operations(await document_of(aiohttp_client, "kv"))[("PATCH", "/admin/config")]
    assert set(patch["requestBody"]["content"]) == {"application/merge-patch+json", "application/json"}
    assert {"400", "409", "413", "415"} <= set(patch["responses"])
