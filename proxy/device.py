"""A device: the capacity every connection crossing it shares, as one of the real networking
devices between AWS's two networks: bandwidth and buffer per direction, and a connection
table with a finite setup rate."""

from __future__ import annotations

import asyncio

from proxy.admission import ConnectionTable
from proxy.metrics import ProxyMetrics
from proxy.shaper import Shaper
from stormlab_common.contracts import proxy as contract
from stormlab_common.metric_names import DOWNSTREAM, UPSTREAM


class Device:
    def __init__(self, name: str, config: contract.Device, chunk_bytes: int, metrics: ProxyMetrics,
                 loop: asyncio.AbstractEventLoop):
        self.name = name
        self.config = config
        self._metrics = metrics
        self.shapers = {
            UPSTREAM: Shaper(name, UPSTREAM, config.upstream, chunk_bytes, metrics, loop),
            DOWNSTREAM: Shaper(name, DOWNSTREAM, config.downstream, chunk_bytes, metrics, loop),
        }
        self.table = ConnectionTable(config.connections, loop)
        metrics.waiting_connections.labels(name).set_function(lambda: self.table.waiting)
        self._export_limits()

    def reconfigure(self, config: contract.Device, chunk_bytes: int) -> None:
        """Apply new limits at once; established connections keep flowing."""
        self.config = config
        self.shapers[UPSTREAM].reconfigure(config.upstream, chunk_bytes)
        self.shapers[DOWNSTREAM].reconfigure(config.downstream, chunk_bytes)
        self.table.reconfigure(config.connections)
        self._export_limits()

    def charge_setup(self) -> None:
        """A connection attempt arrived: its setup work competes with forwarding."""
        for shaper in self.shapers.values():
            shaper.charge(self.config.connections.setup_cost_bytes)

    def close(self) -> None:
        for shaper in self.shapers.values():
            shaper.close()
        self._metrics.forget_device(self.name)

    def state(self) -> dict:
        return {
            "active_connections": self.table.active,
            "waiting_connections": self.table.waiting,
            **{direction: {"buffered_bytes": shaper.buffered_bytes,
                           "bucket_level_bytes": _finite_or_none(shaper.bucket_level()),
                           "forwarded_bytes": shaper.forwarded_bytes}
               for direction, shaper in self.shapers.items()},
        }

    def reset_counters(self) -> None:
        for shaper in self.shapers.values():
            shaper.forwarded_bytes = 0

    def _export_limits(self) -> None:
        limits, metrics = self.config.connections, self._metrics
        metrics.show_limit(metrics.limit_new_connections_per_second, (self.name,), limits.new_per_second)
        metrics.show_limit(metrics.limit_active_connections, (self.name,), limits.max_active)
        metrics.show_limit(metrics.limit_backlog_connections, (self.name,), limits.backlog)


def _finite_or_none(value: float) -> float | None:
    return None if value != value else round(value, 3)  # NaN (no bucket) -> null in JSON
