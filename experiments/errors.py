"""What goes wrong when the runner reaches for the stack: ``StackError`` (the stack is not
there, not healthy, or refused), and its kind ``ComponentError``, one failed call to a
component, which says what was asked (method, URL), what came back (status) and what the
component said (its error body), so the run's record names the fix."""

from __future__ import annotations

import json
from typing import Any

BODY_CHARS = 500  # enough for a component's error and its problems, not a whole page


class StackError(RuntimeError):
    """The stack is not there, not healthy, or refused a call."""


class ComponentError(StackError):
    """A call a component refused (``status``) or never answered (``status`` None)."""

    def __init__(self, method: str, url: str, status: int | None, body: Any = None, reason: str = ""):
        self.method, self.url, self.status, self.body = method, url, status, body
        if status is None:
            message = f"{method} {url} got no answer: {reason}"
        else:
            message = f"{method} {url} answered {status}: {describe_body(body)}"
        super().__init__(message)


def describe_body(body: Any) -> str:
    """A component's error body as one line: ``{"error", "problems"}`` (our components' shape,
    stormlab_common/web.py; Prometheus's ``error``, Grafana's ``message``) as ``error: problem;
    problem``, anything else as sent."""
    said = [k for k in ("error", "message") if isinstance(body, dict) and isinstance(body.get(k), str)]
    if said:
        key = said[0]
        problems = body.get("problems")
        text = body[key]
        if isinstance(problems, list) and problems:
            text += ": " + "; ".join(str(p) for p in problems)
    elif isinstance(body, str):
        text = body
    else:
        text = json.dumps(body)
    text = text.strip() or "(empty body)"
    return text if len(text) <= BODY_CHARS else text[: BODY_CHARS - 3] + "..."
