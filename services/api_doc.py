"""The OpenAPI 3.1 document a replica serves on ``GET /openapi.json``, assembled from what
each route says of itself where it is added: a route cannot be served undescribed, and
each request body is described by the contract schema its handler parses with.

Every route under ``/v1/`` is work: it reads ``X-Attempt`` and ``X-Deadline-Ms`` and may be
shed (503 with ``Retry-After``), so ``route(..., work=True)`` describes those once.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from services.inputs import ATTEMPT_HEADER, ATTEMPT_PATTERN, DEADLINE_HEADER, DEADLINE_PATTERN, JSON
from services.scheduler import REJECTION_REASONS
from stormlab_common.web import app_key

OPERATIONS = app_key("openapi_operations", dict)
VERSION = "1"

ERROR = {
    "type": "object",
    "required": ["error"],
    "description": "what is wrong, and what is expected",
    "properties": {
        "error": {"type": "string"},
        "expected": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "string"}, "description": "each `path: problem`"},
    },
}
RETRY_AFTER = {"required": True, "description": "seconds to wait before trying again",
               "schema": {"type": "integer", "minimum": 0}}
SHED = {
    "description": "shed: the replica is overloaded (queue full, admission control, CoDel, "
                   "deadline expired, displaced by a first attempt) or shutting down",
    "headers": {"Retry-After": RETRY_AFTER},
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["error", "reason", "retry_after_seconds"],
        "properties": {"error": {"type": "string"}, "reason": {"enum": list(REJECTION_REASONS)},
                       "retry_after_seconds": {"type": "integer", "minimum": 0}}}}},
}
WORK_HEADERS = [
    {"name": ATTEMPT_HEADER, "in": "header", "required": False,
     "schema": {"type": "string", "pattern": ATTEMPT_PATTERN, "examples": ["1", "2"]},
     "description": "1 for a first try (also when absent), 2 for the first retry, ..."},
    {"name": DEADLINE_HEADER, "in": "header", "required": False,
     "schema": {"type": "string", "pattern": DEADLINE_PATTERN, "examples": ["2000", "1500.5"]},
     "description": "milliseconds the client will still wait (deadline propagation honours it)"},
]


def answer(description: str, schema: dict | None = None, content_type: str = "application/json") -> dict:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {content_type: {"schema": schema}}
    return response


def error(description: str) -> dict:
    return answer(description, ERROR)


def request_body(schema: dict, description: str, media_types: tuple[str, ...] = JSON,
                 example: Any = None, required: bool = True) -> dict:
    """A body of one of ``media_types`` (a request without Content-Type is taken as the first)."""
    content = {}
    for media_type in media_types:
        content[media_type] = {"schema": copy.deepcopy(schema)}
        if example is not None:
            content[media_type]["example"] = example
    return {"required": required, "description": description, "content": content}


def body_errors(limit: int, media_types: tuple[str, ...] = JSON) -> dict[str, dict]:
    """What reading a body may answer besides its own refusals."""
    return {"413": error(f"the body is over {limit} bytes"),
            "415": error(f"the Content-Type is not {' or '.join(media_types)}")}


def route(app: web.Application, method: str, path: str, handler, *, name: str, summary: str,
          responses: dict[str, dict], body: dict | None = None, path_parameters: dict | None = None,
          query: list[dict] | None = None, work: bool = False, links: dict[str, str] | None = None) -> None:
    """Add the route and its description. ``links``: status -> the operation (its name) that
    shows what this one did, an OpenAPI link stateful testing follows. A GET answers HEAD
    too, as aiohttp's add_get makes it (HEAD is implied by GET in OpenAPI)."""
    if method == "GET":
        app.router.add_get(path, handler, name=name)
    else:
        app.router.add_route(method, path, handler, name=name)
    parameters = [{"name": key, "in": "path", "required": True, "schema": schema}
                  for key, schema in (path_parameters or {}).items()]
    parameters += query or []
    responses = copy.deepcopy(responses)
    for status, target in (links or {}).items():
        responses[status]["links"] = {target: {"operationId": target, "description": "what it did"}}
    if work:
        parameters += copy.deepcopy(WORK_HEADERS)
        responses.setdefault("400", error("a malformed X-Attempt or X-Deadline-Ms header"))
        responses["503"] = copy.deepcopy(SHED)
    if parameters and "400" not in responses:
        responses["400"] = error("a malformed parameter")
    operation: dict[str, Any] = {"operationId": name, "summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = body
    app[OPERATIONS].setdefault(path, {})[method.lower()] = operation


def document(app: web.Application, title: str, description: str) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": title, "version": VERSION, "description": description},
            "paths": app[OPERATIONS]}
