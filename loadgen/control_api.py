"""The live config API, on locust's own web port: ``GET`` and ``PUT /stormlab/config``
(docs/clients.md, "Changing the clients while they run").

Only parses and answers: the LiveConfig checks the patch and counts the generations,
``publish`` carries it to the processes running clients, ``workers`` says which generation
each has applied (loadgen/config_sync.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from loadgen.http_guard import count, error, json_object_or_refusal, json_view, read_json_body
from loadgen.live_config import LiveConfig, PatchRefused

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
        body, refusal = read_json_body()
        patch, refusal = (None, refusal) if refusal is not None else json_object_or_refusal(body)
        if refusal is not None:
            return refusal
        try:
            live.replace(patch)
        except PatchRefused as exc:
            if exc.malformed:
                return error(400, f"invalid configuration patch ({count(exc.problems)}); nothing changed",
                             exc.problems)
            return error(409, f"the configuration patch conflicts with the base config or with what locust "
                              f"read at start ({count(exc.problems)}); nothing changed", exc.problems)
        publish()
        return state()

    app.add_url_rule(PATH, "stormlab_config_get", protect(json_view(get_config)), methods=["GET"])
    app.add_url_rule(PATH, "stormlab_config_put", protect(json_view(put_config)), methods=["PUT"])
