"""When attempts were sent, on locust's own web port: ``GET /stormlab/attempts?since=&until=``
(docs/clients.md, "When attempts were sent").

Only parses and answers: the AttemptTimeline holds the counts, ``shipped`` says up to when
each process running clients is counted (loadgen/timeline_sync.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from flask import Flask, request

from loadgen.attempt_timeline import AttemptTimeline, closes
from loadgen.http_guard import count, error, json_view
from stormlab_common.time_slots import KEEP_SECONDS, SLOT_SECONDS, WINDOW_EXPECTED, parse_window

PATH = "/stormlab/attempts"
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")  # as JSON writes one


def add_routes(app: Flask, timeline: AttemptTimeline, shipped: Callable[[], dict[str, float | None]],
               protect: Callable = lambda view: view) -> None:
    """``protect``: locust's login check, so the API is as open as the UI and no more."""

    def get_attempts():
        kept_since = timeline.kept_since()
        since, until, problems = parse_window(request.args.get, kept_since)
        if problems:
            summary = f"invalid attempts query ({count(problems)}); {WINDOW_EXPECTED}"
            return error(_status(since, until, kept_since), summary, problems)
        workers = shipped()
        # every connected worker counted past the window's end (none connected: nothing to wait for)
        complete = all(through is not None and closes(through, until) for through in workers.values())
        return {"slot_seconds": SLOT_SECONDS, "since": since, "until": until, "complete": complete,
                "workers": workers, "slots": timeline.window(since, until)}

    app.add_url_rule(PATH, "stormlab_attempts_get", protect(json_view(get_attempts)), methods=["GET"])


def _status(since: float, until: float, kept_since: float) -> int:
    """400: a parameter missing or not a number; 422: two numbers that make no window this API
    answers (until not after since, longer than it keeps, beyond a float); 409: a window that
    was answerable once, and is no longer kept."""
    if not all(_NUMBER.fullmatch(request.args.get(name) or "") for name in ("since", "until")):
        return 400
    if not (math.isfinite(since) and math.isfinite(until)) or since >= until or until - since > KEEP_SECONDS:
        return 422
    return 409 if since < kept_since else 422
