"""JSON answers padded to a configured size, so responses fill the device's bandwidth."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def padded_json(document: dict[str, Any], size: int, status: int = 200) -> web.Response:
    """``document`` as JSON, with a ``padding`` string making the body ``size`` bytes
    (or the bare document, when that alone is larger)."""
    body = json.dumps({**document, "padding": ""}, separators=(",", ":")).encode()
    if len(body) < size:
        body = body[:-2] + b"x" * (size - len(body)) + b'"}'
    return web.Response(body=body, status=status, content_type="application/json")
