"""A link: a named listener that forwards every connection it accepts to one upstream service,
across the device it is assigned to. Its device, upstream and faults can change live."""

from __future__ import annotations

import asyncio
import logging

from proxy.arrival_timeline import ArrivalTimeline
from proxy.connection import CLIENT, Connection, Endpoint
from proxy.device import Device
from proxy.faults import FaultChain
from proxy.lane import Lane
from proxy.metrics import LinkSeries, ProxyMetrics
from proxy.resolver import UpstreamAddresses
from stormlab_common.contracts import proxy as contract
from stormlab_common.metric_names import DOWNSTREAM, UPSTREAM

log = logging.getLogger(__name__)

# The kernel's queue of accepted-but-not-yet-taken connections: big enough that the device's
# own backlog, not the kernel's, is what a surge meets.
LISTEN_BACKLOG = 4096

ATTEMPT_OUTCOMES = ("accepted", "refused", "reset")
UPSTREAM_FAILURE_REASONS = ("refused", "timeout", "unresolvable", "error")
HTTP_OUTCOMES = ("forwarded", "answered_by_fault", "reset_by_fault")


class Link:
    def __init__(self, name: str, config: contract.Link, device: Device, settings: contract.Settings,
                 metrics: ProxyMetrics, loop: asyncio.AbstractEventLoop, arrivals: ArrivalTimeline,
                 listen_host: str = "0.0.0.0", seed: int | None = None):
        self.name = name
        self.loop = loop
        self.settings = settings  # the ones in force: connections read them live
        self.listen_host = listen_host
        self._seed = seed
        self.connections: set[Connection] = set()
        self.stats = dict.fromkeys(ATTEMPT_OUTCOMES, 0)  # since the last counter reset
        self._metrics = metrics
        self._arrivals = arrivals  # the proxy's one timeline, shared by every link
        self._series: dict[str, LinkSeries] = {}  # by device: a link that moved counts under both
        self._server: asyncio.AbstractServer | None = None
        self.config = config
        self.device = device
        self.addresses = UpstreamAddresses(config.upstream_host, config.upstream_port,
                                           settings.resolve_ttl_seconds, loop)
        self.faults = FaultChain(name, config.faults, seed, metrics.fault_injections)
        # what each direction's flows need from the link, kept current as it changes
        self.lanes = {direction: Lane(name, direction, loop, device.shapers[direction], self.faults,
                                      settings.chunk_bytes) for direction in (UPSTREAM, DOWNSTREAM)}
        metrics.link_info.labels(device.name, name, config.upstream).set(1)
        self._declare_series(device.name)

    @property
    def protocol(self) -> str:
        return self.config.protocol

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"link {self.name} is not listening")
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self._server = await self._listen(self.config.listen_port)
        log.info("link %s listening on %s:%d -> %s across device %s", self.name,
                 self.listen_host, self.port, self.config.upstream, self.device.name)

    async def apply(self, config: contract.Link, device: Device) -> None:
        """Take a new config live. A new port is bound before the old one closes (a port in use
        fails the change and leaves the link as it was); connections already open keep flowing,
        over the new device if the link moved (once the old one has sent what it held for them)."""
        if config.listen_port != self.config.listen_port and self._server is not None:
            server = await self._listen(config.listen_port)
            if self._server is None:  # closed while the new port was being bound
                server.close()
                return
            self._server.close()
            self._server = server
        if config.upstream != self.config.upstream:
            self.addresses = UpstreamAddresses(config.upstream_host, config.upstream_port,
                                               self.settings.resolve_ttl_seconds, self.loop)
        if config.faults != self.config.faults:
            self.faults = FaultChain(self.name, config.faults, self._seed, self._metrics.fault_injections)
        self._metrics.link_info.remove(self.device.name, self.name, self.config.upstream)
        self._metrics.link_info.labels(device.name, self.name, config.upstream).set(1)
        self.config, self.device = config, device
        self._use_lanes()
        self._declare_series(device.name)

    def use_settings(self, settings: contract.Settings) -> None:
        """Take new process-wide settings: new reads and connections use them at once."""
        self.settings = settings
        self.addresses.ttl_seconds = settings.resolve_ttl_seconds
        self._use_lanes()

    async def close(self) -> None:
        """Stop listening and end every connection still open."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self.connections):
            connection.close()
        self._metrics.link_info.remove(self.device.name, self.name, self.config.upstream)

    def describe(self) -> dict:
        return {
            "listen_port": self.port if self._server else self.config.listen_port,
            "active_connections": len(self.connections),
            "connection_attempts": dict(self.stats),
        }

    def reset_counters(self) -> None:
        self.stats = dict.fromkeys(ATTEMPT_OUTCOMES, 0)

    def _use_lanes(self) -> None:
        for direction, lane in self.lanes.items():
            lane.use(self.device.shapers[direction], self.faults, self.settings.chunk_bytes)

    def _declare_series(self, device: str) -> None:
        """Every count this link can make, at 0 from the start: a dashboard then shows "none
        so far" instead of no data, and a rate over a counter's first increase is not lost
        (the Prometheus guide's "avoid missing metrics")."""
        metrics = self._metrics
        metrics.connection_arrivals.labels(device, self.name)
        for reason in UPSTREAM_FAILURE_REASONS:
            metrics.upstream_connect_failures.labels(device, self.name, reason)
        if self.config.protocol == "http":
            for outcome in HTTP_OUTCOMES:
                metrics.http_requests.labels(device, self.name, outcome)

    # -- accounting, called by connections --------------------------------------------------
    def count_attempt(self, device: str, outcome: str, reason: str) -> None:
        self.stats[outcome] += 1
        self._series_of(device).attempts(outcome, reason).inc()

    def arrived(self, device: str, arrived_at: float) -> None:
        """A connection reached ``device`` at ``arrived_at`` (unix seconds, the kernel's
        handshake time rather than the moment it was accepted)."""
        self._series_of(device).arrivals.inc()
        self._arrivals.record(arrived_at, device)

    def admitted(self, device: str, waited_seconds: float) -> None:
        series = self._series_of(device)
        self.stats["accepted"] += 1
        series.attempts("accepted", "admitted").inc()
        series.setup_wait.observe(waited_seconds)
        series.active.inc()

    def released(self, device: str, reason: str) -> None:
        series = self._series_of(device)
        series.active.dec()
        series.closed(reason).inc()

    def _series_of(self, device: str) -> LinkSeries:
        series = self._series.get(device)
        if series is None:
            series = self._series[device] = LinkSeries(self._metrics, device, self.name)
        return series

    def count_upstream_failure(self, device: str, reason: str) -> None:
        self._metrics.upstream_connect_failures.labels(device, self.name, reason).inc()

    def count_request(self, device: str, outcome: str) -> None:
        self._metrics.http_requests.labels(device, self.name, outcome).inc()

    async def _listen(self, port: int) -> asyncio.AbstractServer:
        return await self.loop.create_server(
            lambda: Endpoint(CLIENT, link=self), self.listen_host, port,
            reuse_address=True, backlog=LISTEN_BACKLOG)
