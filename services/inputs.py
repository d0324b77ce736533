"""Reading what a request carries, refusing what is malformed with a clear 4xx.

Every refusal is a ``BadRequest`` naming its ``reason`` (the metric label), what is wrong
and what is expected; the app's middleware turns it into a JSON answer and counts it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from stormlab_common.config import validation_problems

ATTEMPT_HEADER = "X-Attempt"
DEADLINE_HEADER = "X-Deadline-Ms"


class BadRequest(Exception):
    def __init__(self, status: int, reason: str, message: str, **details: Any):
        super().__init__(message)
        self.status, self.reason, self.message, self.details = status, reason, message, details


def attempt_of(request: web.Request) -> int:
    """X-Attempt: 1 for a first try (also when absent), 2 for the first retry..."""
    raw = request.headers.get(ATTEMPT_HEADER)
    if raw is None:
        return 1
    if not raw.strip().isdigit() or int(raw) < 1:
        raise BadRequest(400, "bad_header", f"{ATTEMPT_HEADER} must be a whole number >= 1, got {raw!r}",
                         expected=f"{ATTEMPT_HEADER}: 1 for a first try, 2 for the first retry, ...")
    return int(raw)


def deadline_seconds_of(request: web.Request) -> float | None:
    """X-Deadline-Ms: how long the client will still wait, in ms; None when absent."""
    raw = request.headers.get(DEADLINE_HEADER)
    if raw is None:
        return None
    try:
        milliseconds = float(raw)
    except ValueError:
        milliseconds = math.nan
    if not math.isfinite(milliseconds) or milliseconds < 0:
        raise BadRequest(400, "bad_header", f"{DEADLINE_HEADER} must be a number of milliseconds >= 0, "
                         f"got {raw!r}", expected=f"{DEADLINE_HEADER}: e.g. 2000")
    return milliseconds / 1000


async def body_bytes(request: web.Request, limit: int) -> bytes:
    """The body, refused with 413 when over ``limit`` bytes (which must not exceed the
    app's client_max_size, past which aiohttp refuses to read)."""
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


async def json_body(request: web.Request, schema: dict[str, Any], expected: str, limit: int) -> Any:
    """The body as JSON, checked against ``schema``; every problem named with its path."""
    body = await body_bytes(request, limit)
    try:
        data = json.loads(body)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise BadRequest(400, "malformed_json", f"the body is not valid JSON ({exc})",
                         expected=expected) from exc
    problems = validation_problems(schema, data)
    if problems:
        raise BadRequest(400, "invalid_body", "the body does not match what this endpoint takes",
                         problems=problems, expected=expected)
    return data


def _too_large(size: int | None, limit: int) -> BadRequest:
    got = f"{size} bytes" if size is not None else "more"
    return BadRequest(413, "body_too_large", f"the body is too large: {got}, the limit is {limit} bytes",
                      limit_bytes=limit)
