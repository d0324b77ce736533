"""The OpenAPI 3.1 document of the ``/stormlab/`` API, ``GET /stormlab/openapi.json``: built
from the contract's schemas (the config's, and its merge patch's), the very ones requests
are checked against, so it cannot drift from what the load generator does. locust's own UI
routes are not in it."""

from __future__ import annotations

import copy
from functools import cache

from flask import Flask

from loadgen.http_guard import EXPECTED_BODY, JSON_TYPES, MAX_BODY_BYTES, MAX_DEPTH, json_view
from loadgen.workers_api import HTTP_SD_PATH, WORKER_LABEL
from loadgen.workers_api import PATH as WORKERS_PATH
from stormlab_common.contracts.loadgen import LoadgenConfig
from stormlab_common.contracts.loadgen_patch import FIXED_KEYS, config_patch_schema
from stormlab_common.model import schema_of
from stormlab_common.time_slots import KEEP_SECONDS, SLOT_SECONDS

PATH = "/stormlab/openapi.json"

ERROR = {"type": "object", "required": ["error", "problems"], "additionalProperties": False,
         "properties": {"error": {"type": "string", "description": "what is wrong, and what is expected"},
                        "problems": {"type": "array", "items": {"type": "string"},
                                     "description": "one 'path: what is wrong' line per problem"}}}
STATE = {"type": "object", "additionalProperties": False,
         "required": ["generation", "patch", "config", "workers"],
         "properties": {
             "generation": {"type": "integer", "minimum": 0, "description": "accepted changes (0: the base)"},
             "patch": {"$ref": "#/components/schemas/ConfigPatch"},
             "config": {"$ref": "#/components/schemas/LoadgenConfig"},
             "workers": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                         "description": "the generation each process running clients has applied"}}}
SLOT = {"type": "array", "description": "[slot start (unix seconds), first tries, retries]",
        "prefixItems": [{"type": "number"}, {"type": "integer", "minimum": 0},
                        {"type": "integer", "minimum": 0}],
        "items": False, "minItems": 3}
ATTEMPTS = {"type": "object", "additionalProperties": False,
            "required": ["slot_seconds", "since", "until", "complete", "workers", "slots"],
            "properties": {
                "slot_seconds": {"const": SLOT_SECONDS},
                "since": {"type": "number"}, "until": {"type": "number"},
                "complete": {"type": "boolean",
                             "description": "every connected worker is counted past until: poll until true"},
                "workers": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
                "slots": {"type": "array", "items": SLOT,
                          "description": "every slot from the one holding since to the last one starting "
                                         "before until, oldest first, zeros included"}}}

ADDRESS = {"type": "string", "pattern": "^[A-Za-z0-9._-]+:[0-9]{1,5}$",
           "description": "host:port, where Prometheus scrapes the worker's client metrics"}
WORKER = {"type": "object", "additionalProperties": False, "required": ["id", "metrics", "last_seen"],
          "properties": {
              "id": {"type": "string", "description": "locust's worker id (local: a local run)"},
              "metrics": {"oneOf": [ADDRESS, {"type": "null"}],
                          "description": "the address it advertised (null: none; the stack's own workers are "
                                         "found by DNS)"},
              "last_seen": {"type": ["number", "null"],
                            "description": "unix seconds of its last announcement (null: not yet)"}}}
WORKERS = {"type": "object", "additionalProperties": False, "required": ["count", "workers"],
           "properties": {"count": {"type": "integer", "minimum": 0, "description": "the workers connected"},
                          "workers": {"type": "array", "items": WORKER}}}
TARGET_GROUP = {"type": "object", "additionalProperties": False, "required": ["targets", "labels"],
                "properties": {
                    "targets": {"type": "array", "items": ADDRESS, "minItems": 1, "maxItems": 1},
                    "labels": {"type": "object", "additionalProperties": False, "required": [WORKER_LABEL],
                               "properties": {WORKER_LABEL: {"type": "string"}}}}}
HTTP_SD = {"type": "array", "items": TARGET_GROUP,
           "description": "a Prometheus HTTP service discovery document: one target group per worker that "
                          "advertised its metrics, [] when none did"}


PATCH_EXAMPLES = {
    "base": {"summary": "back to the base config", "value": {}},
    "switch": {"summary": "every new and running client of a profile to another policy",
               "value": {"clients": {"default": {"policy": {"name": "retry-budget", "mode": "ratio"}}}}},
    "rate": {"summary": "a seed and twice the arrivals",
             "value": {"seed": 7, "arrivals": {"requests_per_second": 2}}},
}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _answers(ok: dict, **errors: str) -> dict:
    out = {"200": {"description": "done", **_json(ok)}}
    out.update({status: {"description": text, **_json(_ref("Error"))} for status, text in errors.items()})
    return out


def _window(name: str, example: float) -> dict:
    return {"name": name, "in": "query", "required": True, "schema": {"type": "number"}, "example": example,
            "description": f"unix seconds; the window is at most {KEEP_SECONDS} s long, within the last "
                           f"{KEEP_SECONDS} s"}


@cache
def openapi_document() -> dict:
    fixed = ", ".join(FIXED_KEYS)
    put = {
        "operationId": "putConfig",
        "summary": "replace the live patch over the base config (the workers apply it a moment later)",
        "requestBody": {"required": True, "description": (
            f"{EXPECTED_BODY} over the base config; at most {MAX_BODY_BYTES} bytes, {MAX_DEPTH} levels "
            "deep; no Content-Type is taken as JSON"),
            "content": {kind: {"schema": _ref("ConfigPatch"), "examples": PATCH_EXAMPLES}
                        for kind in JSON_TYPES}},
        "responses": _answers(_ref("ConfigState"), **{
            "400": "the body is not UTF-8, not JSON, or not a patch the schema allows",
            "409": "a well-formed patch that, merged into the base config, breaks a rule (an unknown "
                   f"target, a profile without a policy, ...) or changes a key read at start ({fixed})",
            "413": f"the body is larger than {MAX_BODY_BYTES} bytes",
            "415": f"a Content-Type other than {' or '.join(JSON_TYPES)}"}),
    }
    put["responses"]["200"]["links"] = {"GetConfig": {"operationId": "getConfig"}}
    get = {"operationId": "getConfig",
           "summary": "the generation, the patch, the effective config, the workers",
           "responses": _answers(_ref("ConfigState"))}
    get["responses"]["200"]["links"] = {
        "PutTheSamePatch": {"operationId": "putConfig", "requestBody": "$response.body#/patch"}}
    attempts = {
        "operationId": "getAttempts",
        "summary": f"attempts sent per {SLOT_SECONDS} s slot, first tries apart from retries",
        "parameters": [_window("since", 1700000000.0), _window("until", 1700000030.0)],
        "responses": _answers(_ref("Attempts"),
                              **{"400": "since or until missing or not a number",
                                 "409": f"since is older than the {KEEP_SECONDS} s kept",
                                 "422": f"until not after since, more than {KEEP_SECONDS} s after it, or "
                                        "beyond what a number can be"})}
    workers = {"operationId": "getWorkers",
               "summary": "the connected workers: each one's id, metrics address, last announcement",
               "responses": _answers(_ref("Workers"))}
    http_sd = {"operationId": "getWorkersHttpSd",
               "summary": "the advertised metrics addresses, for Prometheus's HTTP service discovery",
               "responses": _answers(_ref("HttpSd"))}
    schemas = {"LoadgenConfig": copy.deepcopy(schema_of(LoadgenConfig)),
               "ConfigPatch": copy.deepcopy(config_patch_schema()),
               "ConfigState": STATE, "Attempts": ATTEMPTS, "Workers": WORKERS, "HttpSd": HTTP_SD,
               "Error": ERROR}
    return {
        "openapi": "3.1.0",
        "info": {"title": "stormlab load generator", "version": "1",
                 "description": "The internal clients' live config and send times, and the workers "
                                "running them, on locust's web port (docs/clients.md, "
                                "docs/remote-workers.md). Every error is JSON: an unknown path under "
                                "/stormlab/ answers 404, a method a path does not take 405 with Allow."},
        "paths": {
            "/stormlab/config": {"get": get, "put": put},
            "/stormlab/attempts": {"get": attempts},
            WORKERS_PATH: {"get": workers},
            HTTP_SD_PATH: {"get": http_sd},
            PATH: {"get": {"operationId": "getOpenapi", "summary": "this document",
                           "responses": {"200": {"description": "the OpenAPI 3.1 document",
                                                 **_json({"type": "object"})}}}},
        },
        "components": {"schemas": schemas},
    }


def add_routes(app: Flask, protect=lambda view: view) -> None:
    app.add_url_rule(PATH, "stormlab_openapi", protect(json_view(openapi_document)), methods=["GET"])
