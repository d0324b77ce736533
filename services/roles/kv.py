"""kv: a DynamoDB-like get/put store that really stores items, in memory.

A put is stored when its work completes, whether or not the client is still there (as a
database commits a write whose client timed out); a shed or malformed put stores nothing.
"""

from __future__ import annotations

import re

from aiohttp import web

from services.api_doc import answer, body_errors, error, request_body, route
from services.inputs import BINARY, BadRequest, body_bytes
from services.kv_store import KEY_PATTERN, UNADDRESSABLE_KEYS, KvStore, StoreFull
from services.workload import serve
from stormlab_common.contracts.service import ServiceConfig
from stormlab_common.web import app_key, json_error

STORE = app_key("kv_store", KvStore)
_KEY = re.compile(KEY_PATTERN)
EXPECTED_KEY = "1 to 200 letters, digits, '.', '_' or '-' (not '.' or '..')"
KEY = {"type": "string", "pattern": KEY_PATTERN, "not": {"enum": list(UNADDRESSABLE_KEYS)},
       "description": EXPECTED_KEY}
STORED = {"type": "object", "required": ["key", "bytes"],
          "properties": {"key": {"type": "string"}, "bytes": {"type": "integer", "minimum": 0}}}
DELETED = {"type": "object", "required": ["key", "deleted"],
           "properties": {"key": {"type": "string"}, "deleted": {"const": True}}}
VALUE = {"type": "string", "format": "binary"}


def install(app: web.Application, config: ServiceConfig, metrics) -> None:
    labels = (config.name, config.replica)
    metrics.limit_kv_items.labels(*labels).set(config.kv.max_items)

    def publish(items: int, size: int) -> None:
        metrics.kv_items.labels(*labels).set(items)
        metrics.kv_bytes.labels(*labels).set(size)

    store = KvStore(config.kv.max_items, publish)
    store.preload(config.kv.preload_items, config.kv.preload_value_bytes)
    app[STORE] = store
    max_value_bytes = min(config.kv.max_value_bytes, config.max_request_bytes)
    key = {"key": KEY}
    missing = error("no such item")
    route(app, "GET", "/v1/items/{key}", get_item, name="get_item", work=True, path_parameters=key,
          summary="read an item", responses={"200": answer("its value", VALUE, BINARY[0]), "404": missing})
    route(app, "PUT", "/v1/items/{key}", _put_item(max_value_bytes), name="put_item", work=True,
          path_parameters=key, summary="store an item (its value: the body, any bytes)",
          body=request_body(VALUE, f"the value, at most {max_value_bytes} bytes", BINARY, required=False),
          responses={"201": answer("stored, a new key", STORED),
                     "200": answer("stored over the old value", STORED),
                     "409": error(f"a new key, and the store holds its {config.kv.max_items} items"),
                     **body_errors(max_value_bytes, BINARY)})
    route(app, "DELETE", "/v1/items/{key}", delete_item, name="delete_item", work=True, path_parameters=key,
          summary="delete an item", responses={"200": answer("deleted", DELETED), "404": missing})


def key_of(request: web.Request) -> str:
    key = request.match_info["key"]
    if not _KEY.fullmatch(key) or key in UNADDRESSABLE_KEYS:
        raise BadRequest(400, "bad_key", f"invalid key {key!r}", expected=EXPECTED_KEY)
    return key


async def get_item(request: web.Request) -> web.StreamResponse:
    key, store = key_of(request), request.app[STORE]

    def read() -> web.Response:
        value = store.get(key)
        if value is None:
            return json_error(404, f"no item {key!r}")
        return web.Response(body=value, content_type="application/octet-stream")

    return await serve(request, read)


def _put_item(max_value_bytes: int):
    async def put_item(request: web.Request) -> web.StreamResponse:
        key, store = key_of(request), request.app[STORE]
        value = await body_bytes(request, max_value_bytes)

        def write() -> web.Response:
            try:
                created = store.put(key, value)
            except StoreFull as exc:
                return json_error(409, str(exc), max_items=store.max_items,
                                  expected="an existing key (overwritten), or delete items first")
            return web.json_response({"key": key, "bytes": len(value)}, status=201 if created else 200)

        return await serve(request, write)

    return put_item


async def delete_item(request: web.Request) -> web.StreamResponse:
    key, store = key_of(request), request.app[STORE]

    def delete() -> web.Response:
        if not store.delete(key):
            return json_error(404, f"no item {key!r}")
        return web.json_response({"key": key, "deleted": True})

    return await serve(request, delete)
