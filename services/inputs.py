"""Reading what a request carries, refusing what is malformed with a clear 4xx.

Every refusal is a ``BadRequest`` naming its ``reason`` (the metric label), what is wrong
and what is expected; the app's middleware turns it into a JSON answer and counts it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from stormlab_common.config import ConfigError
from stormlab_common.model import parse
from stormlab_common.wording import json_kind

ATTEMPT_HEADER = "X-Attempt"
DEADLINE_HEADER = "X-Deadline-Ms"
JSON = ("application/json",)
BINARY = ("application/octet-stream",)
# The header values the OpenAPI document promises (the same patterns): a whole number from
# 1, plain decimal milliseconds (up to ~30 years, so always a finite float).
ATTEMPT_PATTERN = r"^[1-9][0-9]{0,8}$"
DEADLINE_PATTERN = r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,9})?$"
_ATTEMPT, _DEADLINE = re.compile(ATTEMPT_PATTERN), re.compile(DEADLINE_PATTERN)


class BadRequest(Exception):
    def __init__(self, status: int, reason: str, message: str, **details: Any):
        super().__init__(message)
        self.status, self.reason, self.message, self.details = status, reason, message, details


def attempt_of(request: web.Request) -> int:
    """X-Attempt: 1 for a first try (also when absent), 2 for the first retry..."""
    raw = request.headers.get(ATTEMPT_HEADER)
    if raw is None:
        return 1
    if not _ATTEMPT.fullmatch(raw):
        raise BadRequest(400, "bad_header", f"{ATTEMPT_HEADER} must be a whole number >= 1, got {raw!r}",
                         expected=f"{ATTEMPT_HEADER}: 1 for a first try, 2 for the first retry, ...")
    return int(raw)


def deadline_seconds_of(request: web.Request) -> float | None:
    """X-Deadline-Ms: how long the client will still wait, in ms; None when absent."""
    raw = request.headers.get(DEADLINE_HEADER)
    if raw is None:
        return None
    if not _DEADLINE.fullmatch(raw):
        raise BadRequest(400, "bad_header", f"{DEADLINE_HEADER} must be a number of milliseconds >= 0, "
                         f"got {raw!r}", expected=f"{DEADLINE_HEADER}: e.g. 2000 or 1500.5")
    return float(raw) / 1000


def check_content_type(request: web.Request, accepted: tuple[str, ...]) -> None:
    """415 unless the body's media type is one of ``accepted``; a request without a
    Content-Type is taken as the first. Text must be UTF-8."""
    if "Content-Type" not in request.headers:
        return
    if request.content_type not in accepted:
        raise BadRequest(415, "unsupported_media_type",
                         f"unsupported Content-Type {request.headers['Content-Type']!r}; this endpoint "
                         f"takes {' or '.join(accepted)}", accepted=list(accepted))
    if (request.charset or "utf-8").lower() not in ("utf-8", "utf8"):
        raise BadRequest(415, "unsupported_media_type", f"unsupported charset {request.charset!r}; "
                         "bodies are UTF-8", accepted=[f"{kind}; charset=utf-8" for kind in accepted])


async def body_bytes(request: web.Request, limit: int, accepted: tuple[str, ...] = BINARY) -> bytes:
    """The body, refused with 415 when of another media type than ``accepted``, with 413
    when over ``limit`` bytes (which must not exceed the app's client_max_size, past which
    aiohttp refuses to read)."""
    check_content_type(request, accepted)
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(declared, limit)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:  # no Content-Length, chunked past the app's limit
        raise _too_large(None, limit) from exc
    if len(body) > limit:
        raise _too_large(len(body), limit)
    return body


async def json_data(request: web.Request, expected: str, limit: int, accepted: tuple[str, ...] = JSON) -> Any:
    """The body as JSON (RFC 8259: UTF-8, no NaN or Infinity), not yet checked for shape."""
    body = await body_bytes(request, limit, accepted)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(400, "malformed_json", f"the body is not UTF-8 text ({exc})",
                         expected=expected) from exc
    if not text.strip():
        raise BadRequest(400, "malformed_json", "expected a JSON object, got an empty body; nothing changed",
                         expected=expected)
    try:
        return json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep to be a request
        raise BadRequest(400, "malformed_json", f"the body is not valid JSON ({exc})",
                         expected=expected) from exc


def json_object(data: Any, expected: str, reason: str) -> dict:
    """``data`` if a JSON object; else a 400 naming what it is in JSON's words ("a JSON array",
    "null"), not Python's, with what is expected (``expected``: an example) beside it."""
    if not isinstance(data, dict):
        raise BadRequest(400, reason, f"expected a JSON object, got {json_kind(data)}; nothing changed",
                         expected=expected)
    return data


async def json_body(request: web.Request, cls: type, expected: str, limit: int) -> Any:
    """The body as an instance of the contract class ``cls`` (a JSON object); every problem
    named with its path."""
    data = json_object(await json_data(request, expected, limit), expected, "invalid_body")
    try:
        return parse(cls, data, source="body")
    except ConfigError as exc:
        raise BadRequest(400, "invalid_body", "the body does not match what this endpoint takes",
                         problems=exc.problems, expected=expected) from exc


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _too_large(size: int | None, limit: int) -> BadRequest:
    got = f"{size} bytes" if size is not None else "more"
    return BadRequest(413, "body_too_large", f"the body is too large: {got}, the limit is {limit} bytes",
                      limit_bytes=limit)
