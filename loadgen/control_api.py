"""The live config API, on locust's own web port: ``GET`` and ``PUT /stormlab/config``
(docs/clients.md, "Changing the clients while they run").

Only parses and answers: the LiveConfig checks the patch and counts the generations,
``publish`` carries it to the processes running clients, ``workers`` says which generation
each has applied (loadgen/config_sync.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask, request

from loadgen.live_config import LiveConfig
from stormlab_common.config import ConfigError

PATH = "/stormlab/config"


def add_routes(app: Flask, live: LiveConfig, publish: Callable[[], None],
               workers: Callable[[], dict[str, int]], protect: Callable = lambda view: view) -> None:
    """``protect``: locust's login check, so the API is as open as the UI and no more."""

    def state() -> dict:
        return {"generation": live.generation, "patch": live.patch, "config": live.raw,
                "workers": workers()}

    def get_config():
        return state()

    def put_config():
        try:
            patch = json.loads(request.get_data(as_text=True))
        except ValueError as exc:
            return _error("the body is not JSON: send a JSON object (a merge patch)", [str(exc)])
        try:
            live.replace(patch)
        except ConfigError as exc:
            count = len(exc.problems)
            return _error(f"invalid configuration patch ({count} problem{'s' * (count != 1)}); "
                          "nothing changed", exc.problems)
        publish()
        return state()

    app.add_url_rule(PATH, "stormlab_config_get", protect(get_config), methods=["GET"])
    app.add_url_rule(PATH, "stormlab_config_put", protect(put_config), methods=["PUT"])


def _error(summary: str, problems: list[str]):
    return {"error": summary, "problems": problems}, 400
