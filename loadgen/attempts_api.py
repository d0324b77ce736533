"""When attempts were sent, on locust's own web port: ``GET /stormlab/attempts?since=&until=``
(docs/clients.md, "When attempts were sent").

Only parses and answers: the AttemptTimeline holds the counts, ``shipped`` says up to when
each process running clients is counted (loadgen/timeline_sync.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request

from loadgen.attempt_timeline import AttemptTimeline, closes
from stormlab_common.time_slots import SLOT_SECONDS, WINDOW_EXPECTED, parse_window

PATH = "/stormlab/attempts"


def add_routes(app: Flask, timeline: AttemptTimeline, shipped: Callable[[], dict[str, float | None]],
               protect: Callable = lambda view: view) -> None:
    """``protect``: locust's login check, so the API is as open as the UI and no more."""

    def get_attempts():
        since, until, problems = parse_window(request.args.get, timeline.kept_since())
        if problems:
            count = len(problems)
            summary = f"invalid attempts query ({count} problem{'s' * (count != 1)}); {WINDOW_EXPECTED}"
            return {"error": summary, "problems": problems}, 400
        workers = shipped()
        # every connected worker counted past the window's end (none connected: nothing to wait for)
        complete = all(through is not None and closes(through, until) for through in workers.values())
        return {"slot_seconds": SLOT_SECONDS, "since": since, "until": until, "complete": complete,
                "workers": workers, "slots": timeline.window(since, until)}

    app.add_url_rule(PATH, "stormlab_attempts_get", protect(get_attempts), methods=["GET"])
