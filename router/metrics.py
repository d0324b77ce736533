"""The router's Prometheus metrics: the kernel's counters, read at scrape time, under the
proxy's names wherever they mean the same (docs/kernel-device.md has the table), so the
dashboards and the runner read either device alike.

One collector per source, each describing its names, so a scrape restricted to some names
(``/metrics?name[]=...``, the runner's 10-per-second samples) reads only the source it needs:
the nftables counters are one ``nft list``; the conntrack dump grows with the table.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from router import kernel_names as kn
from router.state import RouterState
from router.traffic_control import GSO_PACKET_BYTES, SETUP, plan_traffic_control
from stormlab_common import metric_names as names
from stormlab_common.contracts.proxy import effective_burst_bytes

D, L, DIR = names.DEVICE, names.LINK, names.DIRECTION


def register_router_metrics(registry: CollectorRegistry, state: RouterState) -> None:
    for collector in (RuleCounters(state), OpenConnections(state), QueueCounters(state), Limits(state)):
        registry.register(collector)


class RuleCounters:
    """nftables' named counters: attempts by outcome and reason, arrivals, bytes per link."""

    def __init__(self, state: RouterState):
        self._state = state

    def describe(self) -> list[Metric]:
        return list(_rule_families().values())

    def collect(self) -> Iterator[Metric]:
        families = _rule_families()
        attempts, arrivals, forwarded = (families[n] for n in (
            names.PROXY_CONNECTION_ATTEMPTS, names.PROXY_CONNECTION_ARRIVALS, names.PROXY_BYTES))
        arrived: dict[tuple[str, str], int] = {}
        for counter, count in sorted(self._state.kernel.counters().items()):
            parsed = kn.parse_counter(counter)
            if parsed is None or parsed.kind != "link" or parsed.link is None:
                continue
            device, link = parsed.device, parsed.link
            if parsed.what in (names.UPSTREAM, names.DOWNSTREAM):
                forwarded.add_metric([device, link, parsed.what], count.bytes)
                continue
            outcome, _, reason = parsed.what.partition(":")
            attempts.add_metric([device, link, outcome, reason or "admitted"], count.packets)
            arrived[device, link] = arrived.get((device, link), 0) + count.packets
        for (device, link), total in sorted(arrived.items()):
            arrivals.add_metric([device, link], total)
        yield from families.values()


def _rule_families() -> dict[str, Metric]:
    return {
        names.PROXY_CONNECTION_ATTEMPTS: CounterMetricFamily(
            names.PROXY_CONNECTION_ATTEMPTS, "Connection attempts (SYNs) at a link: accepted by the device, "
            "or refused (dropped) / reset and why.", labels=[D, L, names.OUTCOME, names.REASON]),
        names.PROXY_CONNECTION_ARRIVALS: CounterMetricFamily(
            names.PROXY_CONNECTION_ARRIVALS, "Connection attempts (SYNs, retransmitted ones included) "
            "arriving at a link.", labels=[D, L]),
        names.PROXY_BYTES: CounterMetricFamily(
            names.PROXY_BYTES, "Bytes forwarded, IP headers included (upstream = client to service).",
            labels=[D, L, DIR]),
    }


class OpenConnections:
    """conntrack: the connections holding a slot (not closed), by link."""

    def __init__(self, state: RouterState):
        self._state = state

    def describe(self) -> list[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family, state = self._family(), self._state
        active = state.kernel.active_by_mark()
        for link, config in sorted(state.links.items()):
            family.add_metric([config.device, link], active.get(state.numbering.link_mark(link), 0))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(names.PROXY_ACTIVE_CONNECTIONS, "Connections holding a slot in the device's "
                                 "connection table (conntrack entries not closed).", labels=[D, L])


class QueueCounters:
    """tc: each shaped direction's queue (bytes waiting, packets dropped) and bytes sent."""

    def __init__(self, state: RouterState):
        self._state = state

    def describe(self) -> list[Metric]:
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        waiting, buffered, drops, sent = self._families()
        state = self._state
        classes = state.kernel.classes()
        waiting_by_device = dict.fromkeys(state.devices, 0)  # no setup queue: nothing waits
        for shaped in plan_traffic_control(state.devices, state.numbering, state.config.interface_pair):
            found = classes.get((shaped.interface, shaped.class_id))
            if found is None:
                continue
            labels = [shaped.device, shaped.direction]
            if shaped.direction == SETUP:  # SYNs waiting, not bytes: the proxy's waiting connections
                waiting_by_device[shaped.device] = found.queued_packets
            else:
                buffered.add_metric(labels, found.backlog_bytes)
            drops.add_metric(labels, found.drops)
            sent.add_metric(labels, found.bytes)
        for name, count in sorted(waiting_by_device.items()):
            waiting.add_metric([name], count)
        yield from (waiting, buffered, drops, sent)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, CounterMetricFamily, CounterMetricFamily]:
        return (
            GaugeMetricFamily(names.PROXY_WAITING_CONNECTIONS, "Connection attempts (SYNs) waiting in the "
                              "device's setup queue, its backlog (0 without one).", labels=[D]),
            GaugeMetricFamily(names.PROXY_BUFFERED_BYTES, "Bytes waiting in the device's queue (tc backlog).",
                              labels=[D, DIR]),
            CounterMetricFamily(names.ROUTER_QUEUE_DROPS, "Packets the device's full queue dropped (tc class "
                                "drops; from 0 again if the class is recreated).", labels=[D, DIR]),
            CounterMetricFamily(names.ROUTER_SHAPED_BYTES, "Bytes the device's tc class sent, headers "
                                "included (from 0 again if the class is recreated).", labels=[D, DIR]),
        )


class Limits:
    """The limits in force, as the proxy exports them (absent: unlimited), and where links go."""

    def __init__(self, state: RouterState):
        self._state = state

    def describe(self) -> list[Metric]:
        return list(self._families().values())

    def collect(self) -> Iterator[Metric]:
        families, state = self._families(), self._state
        for name, device in sorted(state.devices.items()):
            for direction in (names.UPSTREAM, names.DOWNSTREAM):
                limits = getattr(device, direction)
                if limits.bytes_per_second is not None:
                    families[names.PROXY_LIMIT_BYTES_PER_SECOND].add_metric(
                        [name, direction], limits.bytes_per_second)
                    families[names.PROXY_LIMIT_BURST_BYTES].add_metric(
                        [name, direction], effective_burst_bytes(limits, GSO_PACKET_BYTES))
                families[names.PROXY_LIMIT_BUFFER_BYTES].add_metric([name, direction], limits.buffer_bytes)
            connections = device.connections
            if connections.new_per_second is not None:
                families[names.PROXY_LIMIT_NEW_CONNECTIONS_PER_SECOND].add_metric(
                    [name], connections.new_per_second)
            if connections.max_active is not None:
                families[names.PROXY_LIMIT_ACTIVE_CONNECTIONS].add_metric([name], connections.max_active)
            families[names.PROXY_LIMIT_BACKLOG_CONNECTIONS].add_metric([name], connections.backlog)
        for link, config in sorted(state.links.items()):
            families[names.PROXY_LINK_INFO].add_metric([config.device, link, config.upstream], 1)
        yield from families.values()

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        def gauge(name: str, text: str, labels: list[str]) -> tuple[str, GaugeMetricFamily]:
            return name, GaugeMetricFamily(name, text, labels=labels)

        return dict([
            gauge(names.PROXY_LIMIT_BYTES_PER_SECOND, "Configured bandwidth (absent: unlimited).", [D, DIR]),
            gauge(names.PROXY_LIMIT_BURST_BYTES, "Configured bandwidth burst.", [D, DIR]),
            gauge(names.PROXY_LIMIT_BUFFER_BYTES, "Configured queue size.", [D, DIR]),
            gauge(names.PROXY_LIMIT_NEW_CONNECTIONS_PER_SECOND,
                  "Configured connection setup rate (absent: unlimited).", [D]),
            gauge(names.PROXY_LIMIT_ACTIVE_CONNECTIONS,
                  "Configured connection table size (absent: unlimited).", [D]),
            gauge(names.PROXY_LIMIT_BACKLOG_CONNECTIONS,
                  "Backlog of waiting attempts: 0, the kernel has none.", [D]),
            gauge(names.PROXY_LINK_INFO, "Always 1; labels say which device a link crosses and where it "
                  "forwards to.", [D, L, names.TARGET]),
        ])

