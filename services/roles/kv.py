"""kv: a DynamoDB-like get/put store that really stores items, in memory.

A put is stored when its work completes, whether or not the client is still there (as a
database commits a write whose client timed out); a shed or malformed put stores nothing.
"""

from __future__ import annotations

import re

from aiohttp import web

from services.inputs import BadRequest, body_bytes
from services.kv_store import KEY_PATTERN, KvStore, StoreFull
from services.settings import ServiceConfig
from services.workload import serve
from stormlab_common.web import app_key, json_error

STORE = app_key("kv_store", KvStore)
_KEY = re.compile(KEY_PATTERN)


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
    app.router.add_get("/v1/items/{key}", get_item, name="get_item")
    app.router.add_put("/v1/items/{key}", _put_item(max_value_bytes), name="put_item")
    app.router.add_delete("/v1/items/{key}", delete_item, name="delete_item")


def key_of(request: web.Request) -> str:
    key = request.match_info["key"]
    if not _KEY.match(key):
        raise BadRequest(400, "bad_key", f"invalid key {key!r}",
                         expected="1 to 200 letters, digits, '.', '_' or '-'")
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
                return json_error(507, str(exc), max_items=store.max_items)
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
