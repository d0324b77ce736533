"""What the admin API does with bodies it cannot take, unknown paths and methods: a 4xx JSON
error saying what is expected, never a 500, and the state left as it was."""

import json

import pytest

from proxy.admin import make_admin_app
from stormlab_common.json_body import MAX_BODY_BYTES
from tests.unit.proxy_support import running_proxy

JSON = {"Content-Type": "application/json"}
CHANGES = [("PATCH", "/devices/border"), ("POST", "/devices"), ("POST", "/links"), ("PATCH", "/links/api"),
           ("PATCH", "/settings")]


@pytest.fixture
async def admin(aiohttp_client):
    async with running_proxy({"api": {"upstream": "127.0.0.1:9"}}) as (topology, registry):
        yield await aiohttp_client(make_admin_app(topology, registry)), topology


def state(topology):
    return (topology.get_settings(), topology.list_devices(), topology.list_links())


async def refused(client, topology, method, path, status, **request):
    """The answer to a request that must be refused with ``status``, the state unchanged."""
    before = state(topology)
    response = await client.request(method, path, **request)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body = await response.json()
    assert state(topology) == before
    return body


@pytest.mark.parametrize(("method", "path"), CHANGES)
async def test_a_body_that_is_not_utf8_is_a_400(admin, method, path):
    client, topology = admin
    body = await refused(client, topology, method, path, 400, data=b'{"name": "\xff"}', headers=JSON)
    assert body["problems"] == ["(body): expected UTF-8 text (JSON is UTF-8), got byte 0xff at offset 10"]


@pytest.mark.parametrize(("raw", "problem"), [
    (b"{not json", "(body): not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    (b"", '(body): expected a JSON object, e.g. {"connect_timeout_seconds": 1.0}, got an empty body'),
    (b'"border"', '(body): expected a JSON object, e.g. {"connect_timeout_seconds": 1.0}, got a string'),
    (b'{"chunk_bytes": NaN}', "(body): not valid JSON (NaN is not a JSON number)"),
    (b'{"chunk_bytes": 1e999}', "chunk_bytes: expected a finite number, got inf"),
    (b'{"chunk_bytes": 1' + b"0" * 5000 + b"}", "(body): not valid JSON (a number too long to read)"),
    (b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}", "(body): expected JSON nested at most 32 levels deep"),
    (b'{"a": ' + b"[" * 20000 + b"]" * 20000 + b"}", "(body): expected JSON nested at most 32 levels deep"),
])
async def test_what_is_not_one_json_object_is_a_400(admin, raw, problem):
    client, topology = admin
    body = await refused(client, topology, "PATCH", "/settings", 400, data=raw, headers=JSON)
    assert body["problems"] == [problem]


@pytest.mark.parametrize(("method", "path"), CHANGES)
async def test_a_body_over_the_limit_is_a_413_whether_its_length_is_told_or_not(admin, method, path):
    client, topology = admin
    big = json.dumps({"name": "x" * MAX_BODY_BYTES}).encode()
    body = await refused(client, topology, method, path, 413, data=big, headers=JSON)
    assert body == {"error": f"request body over {MAX_BODY_BYTES} bytes; expected at most {MAX_BODY_BYTES}",
                    "max_bytes": MAX_BODY_BYTES}

    async def chunked():  # no Content-Length: the limit holds as it is read
        for start in range(0, len(big), 4096):
            yield big[start:start + 4096]

    await refused(client, topology, method, path, 413, data=chunked(), headers=JSON)


async def test_a_body_at_the_limit_is_read(admin):
    client, topology = admin
    padded = json.dumps({"connect_timeout_seconds": 0.5}).encode().ljust(MAX_BODY_BYTES)  # JSON allows blanks
    response = await client.patch("/settings", data=padded, headers=JSON)
    assert response.status == 200, await response.text()
    assert topology.settings.connect_timeout_seconds == 0.5


@pytest.mark.parametrize(("method", "path", "content_type", "accepted"), [
    ("POST", "/devices", "text/plain", ["application/json"]),
    ("POST", "/devices", "application/merge-patch+json", ["application/json"]),
    ("POST", "/links", "application/x-www-form-urlencoded", ["application/json"]),
    ("PATCH", "/devices/border", "text/plain", ["application/merge-patch+json", "application/json"]),
    ("PATCH", "/settings", "", ["application/merge-patch+json", "application/json"]),
])
async def test_a_wrong_content_type_is_a_415_naming_those_taken(admin, method, path, content_type, accepted):
    client, topology = admin
    body = await refused(client, topology, method, path, 415, data=b'{"name": "side"}',
                         headers={"Content-Type": content_type})
    assert body["accepted"] == accepted and f"expected {' or '.join(accepted)}" in body["error"]


@pytest.mark.parametrize("content_type", [None, "application/json; charset=utf-8", "Application/JSON",
                                          "application/merge-patch+json"])
async def test_json_and_merge_patches_are_taken_and_no_content_type_is_json(admin, content_type):
    client, topology = admin
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await client.patch("/devices/border", data=b'{"connections": {"max_active": 7}}',
                                  headers=headers, skip_auto_headers=["Content-Type"])
    assert response.status == 200, await response.text()
    assert topology.devices["border"].table.limits.max_active == 7


async def test_a_fault_type_that_is_no_string_is_a_400(admin):
    client, topology = admin
    body = await refused(client, topology, "POST", "/links", 400, json={
        "name": "x", "listen_port": 0, "upstream": "a:1", "faults": {"f": {"type": {}, "probability": 1}}})
    assert body["problems"] == ["faults.f.type: expected one of 'latency', 'reset', 'http_error', got {}"]


async def test_an_unknown_path_is_a_404_and_an_unknown_method_a_405_with_allow(admin):
    client, topology = admin
    body = await refused(client, topology, "GET", "/devices/border/more", 404)
    assert body == {"error": "no such endpoint /devices/border/more; see /openapi.json"}
    body = await refused(client, topology, "DELETE", "/settings", 405)
    assert body["allowed_methods"] == ["GET", "HEAD", "PATCH"]
    response = await client.request("TRACE", "/links")
    assert response.status == 405 and response.headers["Allow"] == "GET, HEAD, POST"
    assert "expected one of GET, HEAD, POST" in (await response.json())["error"]


async def test_integral_numbers_written_as_floats_are_integers(admin):
    client, topology = admin
    response = await client.patch("/settings", data=b'{"chunk_bytes": 3.2768e4}', headers=JSON)
    assert response.status == 200, await response.text()
    assert (await response.json())["chunk_bytes"] == 32768 and type(topology.settings.chunk_bytes) is int
