"""What the ``/stormlab/`` API on locust's web port answers a request it cannot take: always a
JSON error saying what is expected, never locust's HTML error page, never a 500 (Flask 2.2,
Debian's locust 2.12, and Flask 3.1 alike), and nothing changed.

- an unknown path under ``/stormlab/``: 404, with the paths there are;
- a method the path does not take: 405, with ``Allow``;
- a body over ``MAX_BODY_BYTES``: 413; of a content type other than JSON: 415 (none given is
  taken as JSON, as ``curl -d`` sends none of use); not UTF-8, not JSON, nested deeper than
  ``MAX_DEPTH``: 400.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from stormlab_common.wording import json_kind

PREFIX = "/stormlab"
MAX_BODY_BYTES = 1048576
MAX_DEPTH = 32
JSON_TYPES = ("application/json", "application/merge-patch+json")
EXPECTED_BODY = "a JSON object (an RFC 7386 merge patch)"
EXAMPLE_BODY = '{"arrivals": {"requests_per_second": 2}}'  # twice the base's arrivals (loadgen/openapi.py)

log = logging.getLogger("loadgen")


def error(status: int, summary: str, problems: Iterable[str] = (), headers: dict | None = None):
    return {"error": summary, "problems": list(problems)}, status, headers or {}


def count(problems: list, what: str = "problem") -> str:
    return f"{len(problems)} {what}{'s' * (len(problems) != 1)}"


def install(app: Flask, paths: Callable[[], Iterable[str]]) -> None:
    """Answer routing failures under ``/stormlab/`` in JSON; ``paths()``: the paths served."""

    @app.before_request
    def refuse_what_no_route_takes():
        if request.path != PREFIX and not request.path.startswith(PREFIX + "/"):
            return None  # locust's own UI, as locust answers it
        failure = request.routing_exception
        if isinstance(failure, MethodNotAllowed):
            allowed = sorted(failure.valid_methods or ())
            return error(405, f"{request.method} is not allowed on {request.path}; "
                              f"expected one of: {', '.join(allowed)}", headers={"Allow": ", ".join(allowed)})
        if isinstance(failure, NotFound):
            return error(404, f"no such path: {request.path}; expected one of: {', '.join(sorted(paths()))}")
        return None


def json_view(view: Callable) -> Callable:
    """A view that answers in JSON even when it fails unexpectedly (locust runs Flask in debug
    mode, which would hand the exception to the server's bare 500)."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Exception:  # a bug: say so in JSON, keep the traceback (and its type) in the log
            log.exception("%s %s failed", request.method, request.path)
            return error(500, "internal error in the load generator; nothing changed (its log has the "
                              "details)")

    return guarded


def read_json_body() -> tuple[Any, tuple | None]:
    """The request's JSON body, or the error to answer instead: ``(value, None)`` or
    ``(None, refusal)``."""
    kind = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if (kind and kind not in JSON_TYPES) or charset not in ("utf-8", "utf8"):
        given = request.headers.get("Content-Type", "")
        return None, error(415, f"unsupported content type {given!r}: send {EXPECTED_BODY} as "
                                f"{' or '.join(JSON_TYPES)} (UTF-8), or with no Content-Type")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None, _too_large()
    data = request.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        return None, _too_large()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, error(400, f"the body is not UTF-8: send {EXPECTED_BODY}", [str(exc)])
    if not text.strip():
        return None, not_an_object("an empty body")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        return None, error(400, "the body is not JSON: send a JSON object (a merge patch)", [str(exc)])
    if _depth(value) > MAX_DEPTH:
        return None, error(400, f"the body is nested too deep: expected at most {MAX_DEPTH} levels")
    return value, None


def json_object_or_refusal(value: Any) -> tuple[dict | None, tuple | None]:
    """``(value, None)`` for a JSON object, else ``(None, refusal)`` naming what was sent in
    JSON's words ("a JSON array", "null"), never Python's."""
    return (value, None) if isinstance(value, dict) else (None, not_an_object(json_kind(value)))


def not_an_object(given: str) -> tuple:
    return error(400, f"expected {EXPECTED_BODY}, e.g. {EXAMPLE_BODY}, got {given}; nothing changed",
                 [f"(top level): expected a JSON object (a merge patch), got {given}"])


def _too_large():
    return error(413, f"the body is larger than {MAX_BODY_BYTES} bytes: send {EXPECTED_BODY} "
                      f"of at most {MAX_BODY_BYTES} bytes")


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is beyond what a number here can be (about ±1.8e308)")
    return value


def _depth(value: Any) -> int:
    """How deeply containers nest in ``value`` (0: a scalar), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1) for child in children)
    return deepest
