"""The admin API's OpenAPI 3.1 document, built from the contract schemas that the proxy parses
every request with (proxy/openapi_schemas.py), so the description cannot drift from what the
proxy takes; every status an operation can answer is listed with it."""

from __future__ import annotations

from functools import cache

from proxy.openapi_schemas import component_schemas, ref
from stormlab_common.config import NAME_SCHEMA
from stormlab_common.json_body import JSON, MAX_BODY_BYTES, MERGE_PATCH, Examples
from stormlab_common.time_slots import KEEP_SECONDS, SLOT_SECONDS

# What each endpoint taking a body takes, by example: in its refusals and in this document.
EXAMPLES: Examples = {
    ("PATCH", "/settings"): {"connect_timeout_seconds": 1.0},
    ("POST", "/devices"): {"name": "dns-path"},
    ("PATCH", "/devices/{name}"): {"downstream": {"bytes_per_second": 1000000}},
    ("POST", "/links"): {"name": "extra", "listen_port": 0, "upstream": "127.0.0.1:9"},
    ("PATCH", "/links/{name}"): {"faults": {"slow": {"type": "latency", "latency_seconds": 0.05}}},
}

STATUSES = {
    200: "done", 201: "created", 204: "done",
    400: "invalid input (not a JSON object, or refused by the schema; `problems` names each bad key); "
         "nothing changed",
    404: "no such device or link (`known` lists those that exist)",
    409: "well formed, but the state cannot take it (a burst or buffer below the chunk size in force, a "
         "device that does not exist or is in use, a listen port in use; for a PATCH, also a link the "
         "patch would leave breaking a rule: its upstream port out of 1..65535, a request fault on a tcp "
         "link); nothing changed",
    413: f"request body over {MAX_BODY_BYTES} bytes; nothing changed",
    415: "Content-Type not taken (`accepted` lists those that are); nothing changed",
}


def _json(schema: dict, media_types: tuple[str, ...] = (JSON,), example=None) -> dict:
    media = {"schema": schema, **({"example": example} if example is not None else {})}
    return {"content": {media_type: media for media_type in media_types}}


def _responses(ok: int, body: dict | None, *errors: int) -> dict:
    out = {str(ok): {"description": STATUSES[ok], **(_json(body) if body else {})}}
    for code in errors:
        out[str(code)] = {"description": STATUSES[code], **_json(ref("Error"))}
    return out


def _body(schema: str, example: dict, patch: bool = False) -> dict:
    if patch:
        return {"required": True, **_json(ref(schema), (MERGE_PATCH, JSON), example),
                "description": "a JSON merge patch (RFC 7386) of the config: keys merge, null puts a key "
                               "back to its default"}
    return {"required": True, **_json(ref(schema), (JSON,), example)}


BODY_ERRORS = (400, 413, 415)


def _resource(kind: str, example_name: str) -> dict:
    schema = kind.capitalize()
    create_example, patch_example = EXAMPLES["POST", f"/{kind}s"], EXAMPLES["PATCH", f"/{kind}s/{{name}}"]
    view = ref(f"{schema}View")
    parameter = [{"name": "name", "in": "path", "required": True, "schema": NAME_SCHEMA,
                  "example": example_name}]
    delete_errors = (404, 409) if kind == "device" else (404,)
    return {
        f"/{kind}s": {
            "get": {"summary": f"list {kind}s",
                    "responses": _responses(200, {"type": "array", "items": view})},
            "post": {"summary": f"create a {kind}", "requestBody": _body(f"New{schema}", create_example),
                     "responses": _responses(201, view, *BODY_ERRORS, 409)},
        },
        f"/{kind}s/{{name}}": {
            "parameters": parameter,
            "get": {"summary": f"read a {kind}", "responses": _responses(200, view, 404)},
            "patch": {"summary": f"change a {kind} live (within 100 ms; open connections are kept)",
                      "requestBody": _body(f"{schema}Patch", patch_example, patch=True),
                      "responses": _responses(200, view, *BODY_ERRORS, 404, 409)},
            "delete": {"summary": f"delete a {kind}", "responses": _responses(204, None, *delete_errors)},
        },
    }


def _query(name: str, kind: str, required: bool, description: str) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": {"type": kind},
            "description": description}


@cache
def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "stormlab proxy admin API", "version": "2",
                 "description": "Devices (shared bandwidth, buffers, connection handling) and the links that "
                                "cross them, changed live. Bodies are JSON objects of at most "
                                f"{MAX_BODY_BYTES} bytes, sent as {JSON} ({MERGE_PATCH} too for a PATCH; "
                                "no Content-Type is taken as JSON). Every refusal is a JSON object with an "
                                "`error` saying what is expected, and changes nothing."},
        "paths": {
            "/health": {"get": {"summary": "ready once every link listens",
                                "responses": {"200": {"description": "ready", **_json(ref("Health"))},
                                              "503": {"description": "starting", **_json(ref("Error"))}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics",
                                 "responses": {"200": {"description": "text exposition format", "content": {
                                     "text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "this document",
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            **_json({"type": "object"})}}}},
            "/settings": {
                "get": {"summary": "process-wide settings", "responses": _responses(200, ref("Settings"))},
                "patch": {"summary": "change settings live",
                          "requestBody": _body("SettingsPatch", EXAMPLES["PATCH", "/settings"], patch=True),
                          "responses": _responses(200, ref("Settings"), *BODY_ERRORS, 409)},
            },
            **_resource("device", "border"),
            **_resource("link", "api"),
            "/counters/reset": {"post": {
                "summary": "zero the counters this API shows (Prometheus counters only grow)",
                "responses": _responses(204, None)}},
            "/arrivals": {"get": {
                "summary": f"connections arrived per {SLOT_SECONDS} s slot of wall-clock time (when the "
                           "kernel took the handshake), at one device or all, "
                           f"within the last {KEEP_SECONDS} s",
                "parameters": [_query("since", "number", True, "window start, unix seconds"),
                               _query("until", "number", True,
                                      f"window end, unix seconds (after since, at most {KEEP_SECONDS} s "
                                      "after it)"),
                               _query("device", "string", False, "one device; all of them if left out")],
                "responses": _responses(200, ref("Arrivals"), 400, 404)}},
        },
        "components": {"schemas": component_schemas()},
    }
