"""Prometheus's HTTP query API: one value now, series over a time range, and the rules it has loaded."""

from __future__ import annotations

from experiments.clients.http import JsonApi

RANGE_TIMEOUT = 60.0  # a run's whole range of a busy histogram takes a while on 2 cores


class PrometheusClient(JsonApi):
    def query(self, promql: str) -> float | None:
        """The instant value of a one-series query; None when it returns no series."""
        result = self.call("GET", "/api/v1/query", params={"query": promql})["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def query_range(self, promql: str, start: float, end: float, step: float = 1.0) -> list[dict]:
        """Every series of the query: ``[{"metric": {...}, "values": [[t, "v"], ...]}, ...]``."""
        answer = self.call(
            "GET", "/api/v1/query_range", timeout=RANGE_TIMEOUT,
            params={"query": promql, "start": start, "end": end, "step": step},
        )
        return answer["data"]["result"]

    def rules(self) -> dict:
        """The alerting rules Prometheus has loaded: ``{"groups": [{"name", "file", "rules": [{"name",
        "type": "alerting", "state", ...}]}]}`` (``GET /api/v1/rules?type=alert``)."""
        return self.call("GET", "/api/v1/rules", params={"type": "alert"})["data"]
