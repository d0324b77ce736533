"""The device in detail, per device and link: every resource it has against its configured limit.

A limit's gauge is absent when the limit is off, so an unlimited device simply draws no
dashed line. Metrics kept per device only (buffers, bucket, backlog) ignore the link filter.
"""

from __future__ import annotations

from grafana.model import BAD, CAPACITY, GOOD, LOAD, RATE, Dashboard, Panel, Row, Series, Variable
from stormlab_common import metric_names as m


def device_link(*more: str) -> str:
    """Label matchers for the chosen devices and links, plus any more."""
    return "{" + ",".join(['device=~"$device"', 'link=~"$link"', *more]) + "}"


DEVICE = '{device=~"$device"}'
DEVICE_LINK = device_link()
CONNECTIONS_PER_SECOND = "suffix:conn/s"


def rate_by(by: str, metric: str, matchers: str = DEVICE_LINK) -> str:
    return f"sum by ({by}) (rate({metric}{matchers}[{RATE}]))"


def quantiles(histogram: str, matchers: str, by: str, legend: str) -> tuple[Series, ...]:
    return tuple(
        Series(
            f"histogram_quantile({q}, sum by (le, {by}) (rate({histogram}_bucket{matchers}[{RATE}])))",
            f"p{round(q * 100)} {legend}",
        )
        for q in (0.5, 0.99)
    )


def bandwidth() -> tuple[Panel, ...]:
    return (
        Panel(
            "Bytes through the device vs its bandwidth",
            "Is the device's bandwidth the bottleneck? Bytes per second forwarded in each direction"
            " (upstream = client to service) against the configured bandwidth (dashed).",
            (
                Series(
                    rate_by("device, direction", m.PROXY_BYTES),
                    "{{device}} {{direction}}",
                    LOAD,
                ),
                Series(
                    f"max by (device, direction) ({m.PROXY_LIMIT_BYTES_PER_SECOND}{DEVICE})",
                    "{{device}} {{direction}} limit",
                    CAPACITY,
                ),
            ),
            unit="Bps",
            min=0,
        ),
        Panel(
            "Bytes by link",
            "Which links use the bandwidth: bytes per second per link and direction. The"
            " operators' scrapes (ops-* links) share the device with the clients.",
            (
                Series(
                    rate_by("device, link, direction", m.PROXY_BYTES),
                    "{{device}}/{{link}} {{direction}}",
                ),
            ),
            unit="Bps",
            min=0,
        ),
        Panel(
            "Bandwidth tokens in the bucket",
            "How much burst the device has left: tokens in its bandwidth bucket against the burst"
            " size (dashed). An empty bucket means every byte waits for new tokens.",
            (
                Series(
                    f"max by (device, direction) ({m.PROXY_BUCKET_LEVEL}{DEVICE})", "{{device}} {{direction}}"
                ),
                Series(
                    f"max by (device, direction) ({m.PROXY_LIMIT_BURST_BYTES}{DEVICE})",
                    "{{device}} {{direction}} burst",
                    CAPACITY,
                ),
            ),
            unit="bytes",
            width=8,
            min=0,
        ),
        Panel(
            "Bytes waiting in the buffer vs its size",
            "Data queued in the device for bandwidth against the buffer's size (dashed). A full"
            " buffer pushes back on the senders.",
            (
                Series(
                    f"max by (device, direction) ({m.PROXY_BUFFERED_BYTES}{DEVICE})",
                    "{{device}} {{direction}}",
                    LOAD,
                ),
                Series(
                    f"max by (device, direction) ({m.PROXY_LIMIT_BUFFER_BYTES}{DEVICE})",
                    "{{device}} {{direction}} buffer size",
                    CAPACITY,
                ),
            ),
            unit="bytes",
            width=8,
            min=0,
        ),
        Panel(
            "Queueing delay for bandwidth",
            "How long data waited in the device's buffer (50th and 99th percentile): latency the"
            " congested device adds to every response.",
            quantiles(m.PROXY_QUEUEING_DELAY, DEVICE_LINK, "device, direction", "{{device}} {{direction}}"),
            unit="s",
            width=8,
            min=0,
        ),
    )


def connection_handling() -> tuple[Panel, ...]:
    return (
        Panel(
            "Connection attempts by outcome vs the setup limit",
            "Is connection setup the bottleneck? Attempts accepted and turned away (by outcome and"
            " reason) per second, against the setups per second the device handles (dashed).",
            (
                Series(
                    rate_by("device, link", m.PROXY_CONNECTION_ATTEMPTS, device_link('outcome="accepted"')),
                    "{{device}}/{{link}} accepted",
                    GOOD,
                ),
                Series(
                    rate_by(
                        "device, link, outcome, reason",
                        m.PROXY_CONNECTION_ATTEMPTS,
                        device_link('outcome!="accepted"'),
                    ),
                    "{{device}}/{{link}} {{outcome}}: {{reason}}",
                    BAD,
                ),
                Series(
                    f"max by (device) ({m.PROXY_LIMIT_NEW_CONNECTIONS_PER_SECOND}{DEVICE})",
                    "{{device}} setup limit",
                    CAPACITY,
                ),
            ),
            unit=CONNECTIONS_PER_SECOND,
            min=0,
        ),
        Panel(
            "Time an attempt waited to be set up",
            "How long accepted attempts waited in the backlog (50th and 99th percentile). Past the"
            " clients' connect timeout, the connection is set up for a client that has left.",
            quantiles(m.PROXY_CONNECTION_SETUP_WAIT, DEVICE_LINK, "device, link", "{{device}}/{{link}}"),
            unit="s",
            min=0,
        ),
        Panel(
            "Connections in the table vs its size",
            "Connections holding a slot in the device's connection table, against the table's size (dashed).",
            (
                Series(
                    f"sum by (device, link) ({m.PROXY_ACTIVE_CONNECTIONS}{DEVICE_LINK})",
                    "{{device}}/{{link}}",
                    LOAD,
                ),
                Series(
                    f"max by (device) ({m.PROXY_LIMIT_ACTIVE_CONNECTIONS}{DEVICE})",
                    "{{device}} table size",
                    CAPACITY,
                ),
            ),
            unit="short",
            width=8,
            min=0,
        ),
        Panel(
            "Attempts waiting in the backlog vs its size",
            "Connection attempts queued for setup, against the backlog's size (dashed). Once full,"
            " new attempts are refused or reset.",
            (
                Series(f"max by (device) ({m.PROXY_WAITING_CONNECTIONS}{DEVICE})", "{{device}}", LOAD),
                Series(
                    f"max by (device) ({m.PROXY_LIMIT_BACKLOG_CONNECTIONS}{DEVICE})",
                    "{{device}} backlog size",
                    CAPACITY,
                ),
            ),
            unit="short",
            width=8,
            min=0,
        ),
        Panel(
            "Connections closed, by reason",
            "How admitted connections ended: orderly, reset by either side, by a fault, or because"
            " the client had already left.",
            (
                Series(
                    rate_by("device, link, reason", m.PROXY_CONNECTIONS_CLOSED),
                    "{{device}}/{{link}} {{reason}}",
                ),
            ),
            unit=CONNECTIONS_PER_SECOND,
            width=8,
            min=0,
        ),
    )


def traffic_and_faults() -> tuple[Panel, ...]:
    return (
        Panel(
            "Connections that could not reach the service",
            "Accepted connections the proxy could not connect onward to the service, by reason.",
            (
                Series(
                    rate_by("device, link, reason", m.PROXY_UPSTREAM_CONNECT_FAILURES),
                    "{{device}}/{{link}} {{reason}}",
                    BAD,
                ),
            ),
            unit=CONNECTIONS_PER_SECOND,
            width=8,
            min=0,
        ),
        Panel(
            "HTTP requests crossing the device",
            "Requests on HTTP links per second: forwarded to the service, or answered or reset by an"
            " injected fault. This is the offered load in attempts, as the device sees it.",
            (
                Series(
                    rate_by("device, link", m.PROXY_HTTP_REQUESTS, device_link('outcome="forwarded"')),
                    "{{device}}/{{link}} forwarded",
                    LOAD,
                ),
                Series(
                    rate_by(
                        "device, link, outcome", m.PROXY_HTTP_REQUESTS, device_link('outcome!="forwarded"')
                    ),
                    "{{device}}/{{link}} {{outcome}}",
                    BAD,
                ),
            ),
            unit="reqps",
            width=8,
            min=0,
        ),
        Panel(
            "Fault injections",
            "Times a link's injected fault acted (resets, HTTP errors) per second. Latency faults"
            " act on every chunk and are not counted.",
            (
                Series(
                    rate_by("link, fault", m.PROXY_FAULT_INJECTIONS, '{link=~"$link"}'),
                    "{{link}} {{fault}}",
                    BAD,
                ),
            ),
            unit="suffix:faults/s",
            width=8,
            min=0,
        ),
    )


def dashboard() -> Dashboard:
    return Dashboard(
        uid="stormlab-device",
        title="Device",
        description="The network device between the internal and the main network: bandwidth,"
        " buffers, connection handling and faults, per device and link, against its limits.",
        items=(
            Row("Bandwidth"),
            *bandwidth(),
            Row("Connection handling"),
            *connection_handling(),
            Row("Onward connections, requests and faults"),
            *traffic_and_faults(),
        ),
        variables=(
            Variable("device", "Device", m.PROXY_LINK_INFO),
            # only the chosen devices' links: a link moved to another device follows it
            Variable("link", "Link", m.PROXY_LINK_INFO, '{device=~"$device"}'),
        ),
    )
