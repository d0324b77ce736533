"""Malformed requests over real sockets: a body that is not UTF-8, not JSON, too large or
of the wrong media type, an unknown method or path, malformed headers. Each answers a 4xx
JSON error saying what is expected, never a 500, and changes nothing."""

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from services.app import make_app
from services.config import config_from

LIMIT = 2048
AS_JSON = {"Content-Type": "application/json"}


async def start(aiohttp_client, role="control-plane", **sections):
    config = config_from({"name": "svc", "role": role, "replica": "r1", "max_request_bytes": LIMIT,
                          "work": {"service_time_seconds": 0.001}} | sections)
    return await aiohttp_client(make_app(config, CollectorRegistry()))


async def refused(response, status, words):
    assert response.status == status
    assert response.content_type == "application/json"
    body = await response.json()
    assert words in body["error"], body
    return body


async def settings(client):
    return await (await client.get("/admin/config")).json()


@pytest.mark.parametrize(("body", "words"), [
    (b'{"capacity": {"workers": 2}}'.decode().encode("utf-16"), "not UTF-8"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"{not json", "not valid JSON"),
    (b"", "expected a JSON object, got an empty body"),
    (b'{"work": {"service_time_seconds": NaN}}', "NaN is not a JSON value"),
    (b"[" * 100000 + b"]" * 100000, "not valid JSON"),
], ids=["utf-16", "bad-bytes", "not-json", "empty", "nan", "large"])
async def test_a_body_that_is_not_json_is_refused_and_changes_nothing(aiohttp_client, body, words):
    client = await start(aiohttp_client)
    before = await settings(client)
    response = await client.patch("/admin/config", data=body, headers=AS_JSON)
    if len(body) > LIMIT:
        await refused(response, 413, "too large")
    else:
        assert "expected" in await refused(response, 400, words)
    assert await settings(client) == before


async def test_json_nested_too_deep_to_decode_is_refused(aiohttp_client):
    client = await start(aiohttp_client, max_request_bytes=1048576)
    deep = b"[" * 50000 + b"]" * 50000
    await refused(await client.post("/v1/instances", data=deep, headers=AS_JSON), 400, "not valid JSON")
    assert (await (await client.get("/v1/instances")).json())["instances"] == []


async def test_a_body_over_the_limit_is_refused_declared_or_chunked(aiohttp_client):
    client = await start(aiohttp_client)
    before = await settings(client)
    big = b'{"capacity": {"workers": 2}, "pad": "' + b"x" * LIMIT + b'"}'
    body = await refused(await client.patch("/admin/config", data=big, headers=AS_JSON), 413,
                         f"the limit is {LIMIT} bytes")
    assert body["limit_bytes"] == LIMIT

    async def chunks():
        for _ in range(3):
            yield b"x" * LIMIT

    await refused(await client.post("/v1/instances", data=chunks(), headers=AS_JSON), 413, "too large")
    assert await settings(client) == before
    assert (await (await client.get("/v1/instances")).json())["instances"] == []


async def test_a_wrong_media_type_is_refused_naming_what_is_taken(aiohttp_client):
    client = await start(aiohttp_client)
    before = await settings(client)
    change = b'{"capacity": {"workers": 2}}'
    body = await refused(await client.patch("/admin/config", data=change, headers={"Content-Type": "text/plain"}),
                         415, "unsupported Content-Type 'text/plain'")
    assert body["accepted"] == ["application/merge-patch+json", "application/json"]
    latin = {"Content-Type": "application/json; charset=latin-1"}
    await refused(await client.patch("/admin/config", data=change, headers=latin), 415, "charset")
    launch = await client.post("/v1/instances", data=b'{"count": 1}',
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    await refused(launch, 415, "takes application/json")
    assert await settings(client) == before
    merge_patch = {"Content-Type": "application/merge-patch+json"}
    assert (await client.patch("/admin/config", data=change, headers=merge_patch)).status == 200


async def raw(server, request: bytes) -> bytes:
    """One request as written, byte for byte (a client library would mend it)."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    return answer


async def test_a_body_without_content_type_is_taken_as_json(aiohttp_server):
    server = await aiohttp_server(make_app(config_from({"name": "api", "replica": "r1"}), CollectorRegistry()))
    body = b'{"count": 2}'
    answer = await raw(server, b"POST /v1/instances HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    assert answer.startswith(b"HTTP/1.1 201")


async def test_kv_takes_bytes_and_refuses_other_media_types_storing_nothing(aiohttp_client, aiohttp_server):
    client = await start(aiohttp_client, role="kv")
    assert (await client.put("/v1/items/a", data=b"old")).status == 201
    wrong = await client.put("/v1/items/a", data=b"{}", headers={"Content-Type": "application/json"})
    assert (await refused(wrong, 415, "takes application/octet-stream"))["accepted"] == [
        "application/octet-stream"]
    assert await (await client.get("/v1/items/a")).read() == b"old"
    server = await aiohttp_server(make_app(config_from({"name": "kv", "role": "kv", "replica": "r1"}),
                                           CollectorRegistry()))
    for path in (b"%2E", b"%2E%2E"):  # "." and "..": a client drops them from a URL as dot segments
        answer = await raw(server, b"PUT /v1/items/" + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                   b"Content-Length: 1\r\n\r\nx")
        assert answer.startswith(b"HTTP/1.1 400") and b"invalid key" in answer


async def test_an_unknown_method_gets_405_with_allow_and_an_unknown_path_404(aiohttp_client):
    client = await start(aiohttp_client, role="kv")
    response = await client.request("TRACE", "/v1/items/a")
    body = await refused(response, 405, "method TRACE is not allowed on /v1/items/a")
    # HEAD too, on aiohttp versions that list the HEAD it adds to every GET
    assert set(response.headers["Allow"].split(", ")) - {"HEAD"} == {"DELETE", "GET", "PUT"}
    assert response.headers["Allow"] == ", ".join(body["allowed_methods"])
    response = await client.post("/admin/config", json={})
    assert set((await refused(response, 405, "not allowed"))["allowed_methods"]) - {"HEAD"} == {"GET", "PATCH"}
    body = await refused(await client.get("/v1/nothing"), 404, "no such endpoint /v1/nothing")
    assert "/openapi.json" in body["endpoints"]


@pytest.mark.parametrize(("header", "value"), [
    ("X-Attempt", "0"), ("X-Attempt", "01"), ("X-Attempt", "²"), ("X-Attempt", "1.0"), ("X-Attempt", ""),
    ("X-Deadline-Ms", "-1"), ("X-Deadline-Ms", "1e3"), ("X-Deadline-Ms", "nan"), ("X-Deadline-Ms", "1_000"),
    ("X-Deadline-Ms", "9" * 400),
], ids=lambda value: value[:12])
async def test_headers_must_match_the_documented_patterns(aiohttp_client, header, value):
    client = await start(aiohttp_client)
    response = await client.get("/v1/work", headers={header: value.encode("utf-8").decode("latin-1")})
    assert "expected" in await refused(response, 400, header)


async def test_documented_header_values_are_taken(aiohttp_client):
    client = await start(aiohttp_client)
    for headers in ({"X-Attempt": "1"}, {"X-Attempt": "999999999"}, {"X-Deadline-Ms": "0"},
                    {"X-Deadline-Ms": "1500.5"}, {"X-Deadline-Ms": "999999999999.123456789"}):
        assert (await client.get("/v1/work", headers=headers)).status == 200, headers
