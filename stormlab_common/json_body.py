"""A request body as the devices' control APIs take it (the proxy's, proxy/admin.py, and the
kernel device's, router/agent.py: the same rules, so the same answers): at most
MAX_BODY_BYTES of UTF-8 JSON holding one object, sent as application/json (or, for a PATCH,
application/merge-patch+json; a request without a Content-Type is taken as JSON). Anything
else is refused before it reaches the state, with what is expected: an example of what the
endpoint takes (each API gives its own, by method and route), and what was sent in JSON's
words (a sender wrote ``[]`` or ``null``, not Python's ``list`` or ``NoneType``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from stormlab_common.config import ConfigError
from stormlab_common.contracts.proxy_numbers import non_finite, whole_numbers
from stormlab_common.wording import json_kind

MAX_BODY_BYTES = 65536
MAX_DEPTH = 32  # far more than any config needs; bounds the work of checking and describing it
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
Examples = Mapping[tuple[str, str], dict]  # (method, route) -> what the endpoint takes, by example


class BodyRefused(Exception):
    """A body refused for its size (413) or its media type (415)."""

    def __init__(self, status: int, message: str, **details: Any):
        super().__init__(message)
        self.status = status
        self.details = details


def media_types(method: str) -> list[str]:
    return [MERGE_PATCH, JSON] if method == "PATCH" else [JSON]


async def json_object(request: web.Request, examples: Examples) -> dict:
    """The request's body as one JSON object; BodyRefused or ConfigError saying what is wrong,
    with ``examples`` (the API's, by method and route) showing what is expected."""
    accepted = media_types(request.method)
    header = request.headers.get("Content-Type")
    media_type = None if header is None else header.split(";", 1)[0].strip().lower()
    if media_type is not None and media_type not in accepted:
        raise BodyRefused(415, f"unsupported Content-Type {header!r}; expected {' or '.join(accepted)}",
                          accepted=accepted)
    return parse_object(await _read(request), _example(request, examples))


def _example(request: web.Request, examples: Examples) -> dict | None:
    resource = request.match_info.route.resource
    return examples.get((request.method, resource.canonical if resource is not None else request.path))


def parse_object(raw: bytes, example: dict | None = None) -> dict:
    """The JSON object in ``raw``; ConfigError (a 400) saying what is wrong otherwise, with
    ``example`` as what is expected."""
    expected = "expected a JSON object" + (f", e.g. {json.dumps(example)}" if example is not None else "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(f"expected UTF-8 text (JSON is UTF-8), got byte {raw[exc.start]:#04x} at offset "
                   f"{exc.start}") from exc
    if not text.strip():
        raise _bad(f"{expected}, got an empty body")
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _bad(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    except RecursionError as exc:
        raise _bad(f"expected JSON nested at most {MAX_DEPTH} levels deep") from exc
    except _NotANumber as exc:
        raise _bad(f"not valid JSON ({exc})") from exc
    except ValueError as exc:  # an integer of more digits than Python reads
        raise _bad("not valid JSON (a number too long to read)") from exc
    if not isinstance(body, dict):
        raise _bad(f"{expected}, got {json_kind(body)}")
    if _deeper_than(body, MAX_DEPTH):
        raise _bad(f"expected JSON nested at most {MAX_DEPTH} levels deep")
    body = whole_numbers(body)
    problems = non_finite(body)
    if problems:
        raise ConfigError(problems, "request body")
    return body


async def _read(request: web.Request) -> bytes:
    too_large = BodyRefused(413, f"request body over {MAX_BODY_BYTES} bytes; expected at most "
                                 f"{MAX_BODY_BYTES}", max_bytes=MAX_BODY_BYTES)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        piece = await request.content.read(MAX_BODY_BYTES + 1 - len(body))
        if not piece:
            return bytes(body)
        body += piece
    raise too_large


class _NotANumber(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotANumber(f"{name} is not a JSON number")


def _deeper_than(value: Any, depth: int) -> bool:
    if depth < 0:
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_deeper_than(item, depth - 1) for item in items)


def _bad(message: str) -> ConfigError:
    return ConfigError([f"(body): {message}"], "request body")
