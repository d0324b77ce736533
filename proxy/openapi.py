"""The admin API's OpenAPI 3.1 document, built from the very schemas that validate requests,
so the description cannot drift from what the proxy accepts."""

from __future__ import annotations

import copy
from functools import cache

from proxy.config import DEVICE_SCHEMA, LINK_SCHEMA, SETTINGS_SCHEMA
from proxy.faults import FAULT_TYPES
from stormlab_common.config import NAME_SCHEMA
from stormlab_common.time_slots import KEEP_SECONDS, SLOT_SECONDS

ERROR = {"type": "object", "required": ["error"],
         "properties": {"error": {"type": "string"},
                        "problems": {"type": "array", "items": {"type": "string"},
                                     "description": "one 'path: what is wrong' line per bad key"},
                        "known": {"type": "array", "items": {"type": "string"}}}}


SLOT = {"type": "array", "description": "[slot start (unix seconds), connections that arrived in it]",
        "prefixItems": [{"type": "number"}, {"type": "integer"}], "minItems": 2, "maxItems": 2}
ARRIVALS = {"type": "object", "required": ["slot_seconds", "since", "until", "device", "slots"],
            "properties": {"slot_seconds": {"type": "number"}, "since": {"type": "number"},
                           "until": {"type": "number"}, "device": {"type": ["string", "null"]},
                           "slots": {"type": "array", "items": SLOT,
                                     "description": "every slot from the one holding since to the last one "
                                                    "starting before until, oldest first, zeros included"}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: int, body: dict | None, *errors: int) -> dict:
    texts = {200: "done", 201: "created", 204: "done", 400: "invalid input; nothing changed",
             404: "no such device or link", 409: "conflicts with the current state; nothing changed"}
    out = {str(ok): {"description": texts[ok], **(_json(body) if body else {})}}
    for code in errors:
        out[str(code)] = {"description": texts[code], **_json(_ref("Error"))}
    return out


def _query(name: str, kind: str, required: bool, description: str) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": {"type": kind},
            "description": description}


def _resource(kind: str, schema_name: str) -> dict:
    named = {"allOf": [_ref(schema_name), {"type": "object", "required": ["name"],
                                           "properties": {"name": NAME_SCHEMA}}]}
    item = {"type": "object", "description": f"a {kind}: its config, effective values and live state"}
    parameter = [{"name": "name", "in": "path", "required": True, "schema": NAME_SCHEMA}]
    patch = {"description": "JSON merge patch (RFC 7386): keys merge, null removes",
             "required": True, **_json({"type": "object"})}
    return {
        f"/{kind}s": {
            "get": {"summary": f"list {kind}s",
                    "responses": _responses(200, {"type": "array", "items": item})},
            "post": {"summary": f"create a {kind}", "requestBody": {"required": True, **_json(named)},
                     "responses": _responses(201, item, 400, 409)},
        },
        f"/{kind}s/{{name}}": {
            "parameters": parameter,
            "get": {"summary": f"read a {kind}", "responses": _responses(200, item, 404)},
            "patch": {"summary": f"change a {kind} live (within 100 ms; open connections are kept)",
                      "requestBody": patch, "responses": _responses(200, item, 400, 404, 409)},
            "delete": {"summary": f"delete a {kind}", "responses": _responses(204, None, 404, 409)},
        },
    }


@cache
def openapi_document() -> dict:
    faults = {f"Fault_{name}": copy.deepcopy(cls.SCHEMA) for name, cls in sorted(FAULT_TYPES.items())}
    link = copy.deepcopy(LINK_SCHEMA)
    link["properties"]["faults"]["additionalProperties"] = {
        "oneOf": [_ref(name) for name in faults], "discriminator": {"propertyName": "type"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "stormlab proxy admin API", "version": "1",
                 "description": "Devices (shared bandwidth, buffers, connection handling) and the "
                                "links that cross them, changed live."},
        "paths": {
            "/health": {"get": {"summary": "ready once every link listens",
                                "responses": {"200": {"description": "ready"},
                                              "503": {"description": "starting", **_json(_ref("Error"))}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics",
                                 "responses": {"200": {"description": "text exposition format"}}}},
            "/settings": {
                "get": {"summary": "process-wide settings",
                        "responses": _responses(200, _ref("Settings"))},
                "patch": {"summary": "change settings live", "requestBody": {"required": True,
                                                                             **_json(_ref("Settings"))},
                          "responses": _responses(200, _ref("Settings"), 400)},
            },
            **_resource("device", "Device"),
            **_resource("link", "Link"),
            "/counters/reset": {"post": {
                "summary": "zero the counters this API shows (Prometheus counters only grow)",
                "responses": _responses(204, None)}},
            "/arrivals": {"get": {
                "summary": f"connections arrived per {SLOT_SECONDS} s slot of wall-clock time (when the "
                           "kernel took the handshake), at one device or all, "
                           f"within the last {KEEP_SECONDS} s",
                "parameters": [_query("since", "number", True, "window start, unix seconds"),
                               _query("until", "number", True,
                                      f"window end, unix seconds (at most {KEEP_SECONDS} s after since)"),
                               _query("device", "string", False, "one device; all of them if left out")],
                "responses": _responses(200, _ref("Arrivals"), 400, 404)}},
        },
        "components": {"schemas": {"Device": DEVICE_SCHEMA, "Link": link, "Settings": SETTINGS_SCHEMA,
                                   "Error": ERROR, "Arrivals": ARRIVALS, **faults}},
    }
