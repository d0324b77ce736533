"""The named series every run records, as PromQL.

The same expressions drive the Grafana dashboards' main panels (grafana/), with ``{w}``
standing for the rate window: ``$__rate_interval`` there, a few scrape intervals here.
A name ending in ``:`` is a family: one series per value of its ``by`` label, recorded
as ``goodput:dns``, ``success_ratio:naive``, ...
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    name: str
    promql: str
    unit: str
    by: str | None = None  # the label that splits a family into one series per value

    def expression(self, window: str) -> str:
        return self.promql.replace("{w}", window)


_ATTEMPTS = "sum(rate(stormlab_client_attempts_total[{w}]))"
_STARTED = "sum(rate(stormlab_client_requests_started_total[{w}]))"
_SUCCESS = 'sum(rate(stormlab_client_requests_total{outcome="success"}[{w}]))'
_LATENCY = "histogram_quantile({q}, sum by (le) (rate(stormlab_client_request_duration_seconds_bucket[{w}])))"

QUERIES: tuple[Query, ...] = (
    # What the clients asked for, what they sent, and what they got.
    Query("demand", _STARTED, "req/s"),
    Query("offered_load", _ATTEMPTS, "attempts/s"),
    Query("goodput", _SUCCESS, "req/s"),
    Query(
        "goodput:",
        'sum by (target) (rate(stormlab_client_requests_total{outcome="success"}[{w}]))',
        "req/s",
        by="target",
    ),
    Query("retry_amplification", f"{_ATTEMPTS} / {_STARTED}", "attempts/req"),
    Query(
        "success_ratio:",
        'sum by (policy) (rate(stormlab_client_requests_total{outcome="success"}[{w}]))'
        " / sum by (policy) (rate(stormlab_client_requests_total[{w}]))",
        "ratio",
        by="policy",
    ),
    Query("latency_p50", _LATENCY.replace("{q}", "0.5"), "s"),
    Query("latency_p99", _LATENCY.replace("{q}", "0.99"), "s"),
    Query("active_clients", "sum(stormlab_client_active_clients)", "clients"),
    # The device: connection handling and bandwidth, against its configured limits.
    Query("connection_attempts", "sum(rate(stormlab_proxy_connection_attempts_total[{w}]))", "conn/s"),
    Query(
        "connections_turned_away",
        'sum(rate(stormlab_proxy_connection_attempts_total{outcome!="accepted"}[{w}]))',
        "conn/s",
    ),
    Query(
        "connection_setup_limit",
        'sum(stormlab_proxy_limit_new_connections_per_second{device="border"})',
        "conn/s",
    ),
    Query("active_connections", 'sum(stormlab_proxy_active_connections{device="border"})', "connections"),
    Query(
        "active_connections_limit",
        'sum(stormlab_proxy_limit_active_connections{device="border"})',
        "connections",
    ),
    Query("waiting_connections", 'sum(stormlab_proxy_waiting_connections{device="border"})', "connections"),
    Query("device_requests", 'sum(rate(stormlab_proxy_http_requests_total{device="border"}[{w}]))', "req/s"),
    Query(
        "device_bytes_downstream",
        'sum(rate(stormlab_proxy_bytes_total{device="border",direction="downstream"}[{w}]))',
        "B/s",
    ),
    Query(
        "device_bandwidth_limit_downstream",
        'sum(stormlab_proxy_limit_bytes_per_second{device="border",direction="downstream"})',
        "B/s",
    ),
    # The services: work done for clients that had already given up.
    Query("wasted_work", "sum(rate(stormlab_service_wasted_work_seconds_total[{w}]))", "worker-s/s"),
    Query("service_queued", "sum(stormlab_service_queued_requests)", "requests"),
    # What the operators saw (through the device) against ground truth (out of band).
    Query("operator_view_up", 'avg(up{job="operator-view"})', "ratio"),
    Query("ground_truth_up", 'avg(up{job="services"})', "ratio"),
)

BY_NAME = {query.name: query for query in QUERIES}
