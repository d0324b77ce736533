"""Prometheus's instant query API (``GET /api/v1/query``)."""

from __future__ import annotations

import math

from chaoslib.exceptions import ActivityFailed

from chaosstormlab.http import Component
from chaosstormlab.settings import Settings


class PrometheusApi:
    def __init__(self, settings: Settings):
        self.api = Component("Prometheus", settings.prometheus_url, "stormlab_prometheus_url",
                             settings.http_timeout)

    def series(self, promql: str) -> list[dict]:
        """Every series the query returns now: ``[{"metric": {...}, "value": [t, "v"]}, ...]``."""
        answer = self.api.call("GET", "/api/v1/query", params={"query": promql})
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise ActivityFailed(f"Prometheus did not answer the query {promql!r} with a result: {answer!r}")
        data = answer["data"]
        if data.get("resultType") == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return data.get("result") or []

    def value(self, promql: str) -> float | None:
        """The value of a one-series query now; None when it returns no series (or NaN)."""
        found = self.series(promql)
        if len(found) > 1:
            raise ActivityFailed(f"Prometheus answered the query {promql!r} with {len(found)} series; "
                                 "expected one (aggregate it, e.g. with sum(...))")
        if not found:
            return None
        number = float(found[0]["value"][1])
        return None if math.isnan(number) else number
