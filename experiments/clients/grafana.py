"""Grafana's annotation API, as the stack's admin (anonymous viewers may only look)."""

from __future__ import annotations

from experiments.clients.http import JsonApi

GRAFANA_TIMEOUT = 5.0


class GrafanaClient(JsonApi):
    def __init__(self, url: str, password: str, **options):
        super().__init__(url, **{"timeout": GRAFANA_TIMEOUT, **options})
        self._auth = ("admin", password)

    def annotate(self, time_ms: int, tags: list[str], text: str) -> None:
        body = {"time": time_ms, "tags": tags, "text": text}
        self.call("POST", "/api/annotations", json=body, auth=self._auth)
