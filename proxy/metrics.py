"""The proxy's Prometheus metrics, registered on an injected registry.

Hot paths hold on to label children (``for_flow``) instead of looking labels up per chunk.
"""

from __future__ import annotations

import contextlib

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from stormlab_common import metric_names as names

D, L, DIR = names.DEVICE, names.LINK, names.DIRECTION
# From microseconds (an idle device) to seconds (a congested one).
DELAY_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ProxyMetrics:
    def __init__(self, registry: CollectorRegistry):
        def counter(name, text, labels):
            return Counter(name, text, labels, registry=registry)

        def gauge(name, text, labels):
            return Gauge(name, text, labels, registry=registry)

        self.connection_attempts = counter(
            names.PROXY_CONNECTION_ATTEMPTS,
            "Connection attempts at a link: accepted by the device, or refused/reset and why.",
            [D, L, names.OUTCOME, names.REASON])
        # Counted on arrival, before the device decides: the attempts counter above moves when
        # an attempt is admitted (paced by the setup rate) or turned away (after its wait), so
        # only this one shows when clients actually knocked, e.g. a synchronized wave of retries.
        self.connection_arrivals = counter(
            names.PROXY_CONNECTION_ARRIVALS,
            "Connection attempts arriving at a link, counted before the device decides on them.",
            [D, L])
        self.upstream_connect_failures = counter(
            names.PROXY_UPSTREAM_CONNECT_FAILURES,
            "Accepted connections the proxy could not connect onward to the service.",
            [D, L, names.REASON])
        self.connections_closed = counter(
            names.PROXY_CONNECTIONS_CLOSED,
            "Forwarded connections that ended, by how they ended.", [D, L, names.REASON])
        self.active_connections = gauge(
            names.PROXY_ACTIVE_CONNECTIONS,
            "Connections holding a slot in the device's connection table.", [D, L])
        self.waiting_connections = gauge(
            names.PROXY_WAITING_CONNECTIONS,
            "Connection attempts waiting in the device's backlog.", [D])
        self.setup_wait = Histogram(
            names.PROXY_CONNECTION_SETUP_WAIT,
            "Time an accepted attempt waited in the backlog for the device to take it.",
            [D, L], buckets=DELAY_BUCKETS, registry=registry)
        self.bytes = counter(names.PROXY_BYTES, "Bytes forwarded (upstream = client to service).",
                             [D, L, DIR])
        self.queueing_delay = Histogram(
            names.PROXY_QUEUEING_DELAY,
            "Time a chunk waited in the device's buffer for bandwidth.",
            [D, L, DIR], buckets=DELAY_BUCKETS, registry=registry)
        self.buffered_bytes = gauge(
            names.PROXY_BUFFERED_BYTES, "Bytes waiting in the device's buffer.", [D, DIR])
        self.bucket_level = gauge(
            names.PROXY_BUCKET_LEVEL, "Bandwidth tokens (bytes) in the device's bucket.", [D, DIR])
        self.http_requests = counter(
            names.PROXY_HTTP_REQUESTS,
            "HTTP requests seen on links with protocol http, by what the proxy did with them.",
            [D, L, names.OUTCOME])
        self.fault_injections = counter(
            names.PROXY_FAULT_INJECTIONS, "Times a link's fault acted.", [L, names.FAULT])
        self.link_info = gauge(
            names.PROXY_LINK_INFO,
            "Always 1; labels say which device a link crosses and where it forwards to.",
            [D, L, names.TARGET])
        self.limit_bytes_per_second = gauge(
            names.PROXY_LIMIT_BYTES_PER_SECOND, "Configured bandwidth (absent: unlimited).", [D, DIR])
        self.limit_burst_bytes = gauge(
            names.PROXY_LIMIT_BURST_BYTES, "Configured bandwidth burst.", [D, DIR])
        self.limit_buffer_bytes = gauge(
            names.PROXY_LIMIT_BUFFER_BYTES, "Configured buffer size.", [D, DIR])
        self.limit_new_connections_per_second = gauge(
            names.PROXY_LIMIT_NEW_CONNECTIONS_PER_SECOND,
            "Configured connection setup rate (absent: unlimited).", [D])
        self.limit_active_connections = gauge(
            names.PROXY_LIMIT_ACTIVE_CONNECTIONS,
            "Configured connection table size (absent: unlimited).", [D])
        self.limit_backlog_connections = gauge(
            names.PROXY_LIMIT_BACKLOG_CONNECTIONS, "Configured backlog of waiting attempts.", [D])

    def show_limit(self, gauge: Gauge, labels: tuple[str, ...], value: float | None) -> None:
        """Export a configured limit; an unlimited one has no series (no capacity line)."""
        if value is None:
            with contextlib.suppress(KeyError):  # already absent
                gauge.remove(*labels)
        else:
            gauge.labels(*labels).set(value)

    def forget_device(self, device: str) -> None:
        """Drop a deleted device's gauges, which would otherwise report it forever."""
        for gauge in (self.buffered_bytes, self.bucket_level, self.limit_bytes_per_second,
                      self.limit_burst_bytes, self.limit_buffer_bytes):
            for direction in (names.UPSTREAM, names.DOWNSTREAM):
                self.show_limit(gauge, (device, direction), None)
        for gauge in (self.waiting_connections, self.limit_new_connections_per_second,
                      self.limit_active_connections, self.limit_backlog_connections):
            self.show_limit(gauge, (device,), None)


class FlowMetrics:
    """The label children one (device, link, direction) updates per chunk."""

    __slots__ = ("bytes", "queueing_delay")

    def __init__(self, metrics: ProxyMetrics, device: str, link: str, direction: str):
        self.bytes = metrics.bytes.labels(device, link, direction)
        self.queueing_delay = metrics.queueing_delay.labels(device, link, direction)


class LinkSeries:
    """The label children one (device, link) updates per connection, made once each: looking
    labels up per connection was an eighth of a connection's setup CPU."""

    def __init__(self, metrics: ProxyMetrics, device: str, link: str):
        self._metrics, self._labels = metrics, (device, link)
        self.arrivals = metrics.connection_arrivals.labels(device, link)
        self.setup_wait = metrics.setup_wait.labels(device, link)
        self.active = metrics.active_connections.labels(device, link)
        self._attempts: dict[tuple[str, str], Counter] = {}
        self._closed: dict[str, Counter] = {}

    def attempts(self, outcome: str, reason: str) -> Counter:
        child = self._attempts.get((outcome, reason))
        if child is None:
            child = self._attempts[outcome, reason] = self._metrics.connection_attempts.labels(
                *self._labels, outcome, reason)
        return child

    def closed(self, reason: str) -> Counter:
        child = self._closed.get(reason)
        if child is None:
            child = self._closed[reason] = self._metrics.connections_closed.labels(*self._labels, reason)
        return child
