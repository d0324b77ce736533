"""The proxy's settings, devices and links as the proxy accepts them (docs/proxy.md), written
once in the pattern of stormlab_common/model.py: the proxy parses its file and every change
through its admin API with these, and the experiment runner may check a scenario with them
offline.

Rules that hold whatever the state are ``check`` methods (``parse`` runs them). Rules that
weigh a value against the proxy's live state (the chunk size in force, the devices that
exist, the ports other links hold) are the plain functions below, which take that state as
arguments: the proxy calls them with its own, an offline check with the stack's config.
Values the proxy derives (a burst left null) come from the ``effective_*`` functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from stormlab_common.config import dotted, merge_patch, validation_problems
from stormlab_common.contracts.proxy_faults import FaultParams
from stormlab_common.model import Meta, Name, Problem, dump, patch_schema_of, patched, schema_of

DEFAULT_DEVICE = "border"
MAX_CHUNK_BYTES = 1048576
BURST_CHUNKS = 4  # a null burst_bytes: at least this many chunks ...
BURST_SECONDS = 0.02  # ... or this long at the rate, if that is more
NEW_BURST_SECONDS = 0.05  # a null new_burst: this long at the setup rate (at least 1)

# "host:port", in ASCII (regex dialects disagree on what else \s or \w match); a port out of
# 1..65535 is Link.check's to explain (EXACT_UPSTREAM_PATTERN says it in the pattern too)
UPSTREAM_PATTERN = r"^[A-Za-z0-9._-]+:(?:0|[1-9][0-9]{0,4})$"
EXACT_UPSTREAM_PATTERN = (r"^[A-Za-z0-9._-]+:(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}"
                          r"|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$")

Port = Annotated[int, Meta(ge=0, le=65535)]
Bytes = Annotated[int, Meta(ge=1, le=1 << 40)]
Count = Annotated[int, Meta(ge=1, le=10**9)]
Seconds = Annotated[float, Meta(gt=0, le=3600)]


@dataclass(frozen=True)
class Settings:
    """Process-wide settings every link reads live."""

    chunk_bytes: Annotated[int, Meta(
        ge=512, le=MAX_CHUNK_BYTES,
        description="largest read where a device schedules or delays bytes, and the unit it schedules "
                    "(a direction with neither reads up to 256 KiB)")] = 65536
    connect_timeout_seconds: Annotated[Seconds, Meta(description="onward connection to the service")] = 2.0
    resolve_ttl_seconds: Annotated[float, Meta(
        ge=0, le=86400, description="how long an upstream's addresses are reused")] = 1.0


@dataclass(frozen=True)
class DirectionLimits:
    """One direction of a device: bandwidth and buffer shared by every connection crossing it."""

    bytes_per_second: Annotated[float | None, Meta(
        gt=0, le=1e12, description="shared bandwidth in this direction; null = unlimited")] = None
    burst_bytes: Annotated[Bytes | None, Meta(description="bytes that may pass back to back after an idle "
                                                          "spell; at least one chunk; null = max(4 chunks, "
                                                          "20 ms at the rate)")] = None
    buffer_bytes: Annotated[Bytes, Meta(
        description="bytes the device queues before senders must wait; at least one chunk")] = 4194304


@dataclass(frozen=True)
class ConnectionLimits:
    """A device's connection handling: its table, its setup rate and the backlog waiting for them."""

    new_per_second: Annotated[float | None, Meta(
        gt=0, le=1e9, description="new connections the device sets up per second; null = unlimited")] = None
    new_burst: Annotated[Count | None, Meta(
        description="setups allowed back to back; null = max(1, 50 ms at the rate)")] = None
    max_active: Annotated[Count | None, Meta(
        description="size of the connection table; null = unlimited")] = None
    backlog: Annotated[int, Meta(ge=0, le=10**9, description="attempts that may wait for the device")] = 1024
    backlog_timeout_seconds: Annotated[Seconds, Meta(
        description="an attempt waiting longer is turned away")] = 2.0
    on_overflow: Annotated[Literal["refuse", "reset"], Meta(
        description="refuse (close) or reset (RST) attempts the device turns away")] = "refuse"
    setup_cost_bytes: Annotated[int, Meta(
        ge=0, le=MAX_CHUNK_BYTES, description="device work per connection attempt, charged against the "
                                              "bandwidth of each limited direction (0 = free)")] = 0


@dataclass(frozen=True)
class Device:
    """A capacity every connection crossing it shares: bandwidth and buffer per direction
    (upstream = client to service), and a connection table with a finite setup rate."""

    upstream: DirectionLimits = field(default_factory=DirectionLimits)
    downstream: DirectionLimits = field(default_factory=DirectionLimits)
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)


@dataclass(frozen=True)
class Link:
    """A named listener forwarding every connection it accepts to one upstream service,
    across the device it is assigned to."""

    listen_port: Annotated[Port, Meta(description="port the link listens on (0 picks a free one)")]
    upstream: Annotated[str, Meta(pattern=UPSTREAM_PATTERN,
                                  description="host:port of the service the link forwards to")]
    device: Annotated[Name, Meta(description="the device the link crosses")] = DEFAULT_DEVICE
    protocol: Annotated[Literal["tcp", "http"], Meta(
        description="http: the proxy tracks requests (counts them; per-request faults)")] = "tcp"
    faults: dict[Name, FaultParams] = field(default_factory=dict)

    @property
    def upstream_host(self) -> str:
        return self.upstream.rpartition(":")[0]

    @property
    def upstream_port(self) -> int:
        return int(self.upstream.rpartition(":")[2])

    def check(self) -> list[Problem]:
        problems: list[Problem] = []
        if not 1 <= self.upstream_port <= 65535:
            problems.append((("upstream",), f"expected a port in 1..65535, got {self.upstream_port}"))
        for name, fault in self.faults.items():
            if fault.acts_on_requests and self.protocol != "http":
                problems.append((("faults", name), f"a {fault.type} fault acting on requests needs protocol: "
                                                   f"http on its link, got protocol: {self.protocol}"))
        return problems


@dataclass(frozen=True, kw_only=True)
class NewDevice(Device):
    """A device to create (``POST /devices``): its name and its config."""

    name: Name

    @property
    def config(self) -> Device:
        return _as(Device, self)


@dataclass(frozen=True, kw_only=True)
class NewLink(Link):
    """A link to create (``POST /links``): its name and its config."""

    name: Name

    @property
    def config(self) -> Link:
        return _as(Link, self)


@dataclass(frozen=True)
class Admin:
    host: Annotated[str, Meta(description="address the admin API listens on")] = "0.0.0.0"
    port: Annotated[Port, Meta(description="port of the admin API")] = 8474


@dataclass(frozen=True)
class ProxyConfig(Settings):
    """The proxy's config file (docs/proxy.md): the live settings, then what is fixed at start
    (addresses, seed) and the devices and links it starts with."""

    listen_host: Annotated[str, Meta(description="address every link listens on")] = "0.0.0.0"
    admin: Admin = field(default_factory=Admin)
    event_loop: Annotated[Literal["auto", "uvloop", "asyncio"], Meta(
        description="the event loop: uvloop (about 2x the connection setups per core), asyncio's "
                    "own, or auto: uvloop where it is installed")] = "auto"
    seed: Annotated[int | None, Meta(
        description="seeds every fault's random choices; null = unseeded")] = None
    devices: dict[Name, Device] = field(default_factory=lambda: {DEFAULT_DEVICE: Device()})
    links: dict[Name, Link] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return _as(Settings, self)

    def check(self) -> list[Problem]:
        problems: list[Problem] = []
        for name, device in self.devices.items():
            problems += _device_rules(device, self.chunk_bytes, ("devices", name))
        for name, link in self.links.items():
            problems += _link_rules(link, self.devices, ("links", name))
        ports = {name: link.listen_port for name, link in self.links.items()}
        return problems + [(("links",), message) for message in _port_clashes(ports)]


# -- rules that weigh a value against the live state --------------------------------------------
def device_problems(device: Device, chunk_bytes: int, prefix: tuple = ()) -> list[str]:
    """A device's limits against the chunk size in force: a burst or buffer smaller than one
    chunk could never pass one."""
    return _written(_device_rules(device, chunk_bytes, ()), prefix)


def settings_problems(settings: Settings, devices: Mapping[str, Device]) -> list[str]:
    """New settings against the devices in force (their bursts and buffers must hold a chunk)."""
    return [problem for name, device in devices.items()
            for problem in device_problems(device, settings.chunk_bytes, ("devices", name))]


def link_problems(link: Link, devices: Collection[str], prefix: tuple = ()) -> list[str]:
    """A link against the devices that exist: it must cross one of them."""
    return _written(_link_rules(link, devices, ()), prefix)


def duplicate_ports(ports: Mapping[str, int]) -> list[str]:
    """Listen ports (by link name) held by more than one link; 0 (any free port) never clashes."""
    return [f"links: {message}" for message in _port_clashes(ports)]


# -- what the proxy derives ---------------------------------------------------------------------
def effective_burst_bytes(limits: DirectionLimits, chunk_bytes: int) -> int:
    """The bandwidth burst in force: ``burst_bytes``, or if null four chunks, or 20 ms at the
    rate if that is more (a smaller burst loses throughput to timer lag at high rates)."""
    if limits.burst_bytes is not None:
        return limits.burst_bytes
    rate = limits.bytes_per_second or 0.0
    return max(BURST_CHUNKS * chunk_bytes, int(rate * BURST_SECONDS))


def effective_new_burst(limits: ConnectionLimits) -> int:
    """The setups allowed back to back: ``new_burst``, or if null 50 ms at the rate (at least 1)."""
    if limits.new_burst is not None:
        return limits.new_burst
    return max(1, int((limits.new_per_second or 0.0) * NEW_BURST_SECONDS))


def effective_device(device: Device, chunk_bytes: int) -> Device:
    """The device with every null burst replaced by the value in force."""
    def direction(limits: DirectionLimits) -> DirectionLimits:
        return dataclasses.replace(limits, burst_bytes=effective_burst_bytes(limits, chunk_bytes))

    return Device(direction(device.upstream), direction(device.downstream),
                  dataclasses.replace(device.connections, new_burst=effective_new_burst(device.connections)))


# -- changes ------------------------------------------------------------------------------------
def patched_link(current: Link, patch: Mapping[str, Any], source: str = "change", prefix: tuple = ()) -> Link:
    """What a JSON merge patch makes of a link: keys merge and null restores a default, as
    everywhere, except that a fault named in the patch is replaced whole (the patch gives a
    whole fault, and a fault of another type shares no keys with the old one)."""
    return patched(Link, _patch_base(current, patch), patch, source, prefix)


def patch_problems(cls: type, current: Any, patch: Any, prefix: tuple = ()) -> list[str]:
    """What is wrong with ``patch`` as a merge patch of ``current`` (a ``cls``: Settings,
    Device or Link): what ``patch_schema_of(cls)`` refuses, worded as ``parse`` words it
    wherever the patched whole shows the problem. Empty: the patch is well formed (what it
    makes may still break a rule: ``patched`` or ``patched_link`` says)."""
    if not isinstance(patch, Mapping):
        return validation_problems(patch_schema_of(cls), patch, prefix)
    if not validation_problems(patch_schema_of(cls), patch):
        return []
    whole = merge_patch(dump(_patch_base(current, patch) if cls is Link else current), patch)
    return (validation_problems(schema_of(cls), whole, prefix)
            or validation_problems(patch_schema_of(cls), patch, prefix))


def _patch_base(current: Link, patch: Any) -> Link:
    faults = patch.get("faults") if isinstance(patch, Mapping) else None
    if not isinstance(faults, Mapping):
        return current
    return dataclasses.replace(current, faults={name: fault for name, fault in current.faults.items()
                                                if name not in faults})


def _device_rules(device: Device, chunk_bytes: int, where: tuple) -> list[Problem]:
    problems: list[Problem] = []
    for direction in ("upstream", "downstream"):
        limits: DirectionLimits = getattr(device, direction)
        for key in ("burst_bytes", "buffer_bytes"):
            value = getattr(limits, key)
            if value is not None and value < chunk_bytes:
                problems.append(((*where, direction, key),
                                 f"expected at least one chunk ({chunk_bytes} bytes), got {value}"))
    return problems


def _link_rules(link: Link, devices: Collection[str], where: tuple) -> list[Problem]:
    if link.device in devices:
        return []
    known = ", ".join(sorted(devices)) or "(none defined)"
    return [((*where, "device"), f"unknown device {link.device!r}; defined devices: {known}")]


def _port_clashes(ports: Mapping[str, int]) -> list[str]:
    busy = [port for port in ports.values() if port]
    return [f"listen_port {port} is used by more than one link "
            f"({', '.join(sorted(name for name, p in ports.items() if p == port))})"
            for port in sorted({p for p in busy if busy.count(p) > 1})]


def _written(problems: list[Problem], prefix: tuple) -> list[str]:
    return [f"{dotted((*prefix, *path))}: {message}" for path, message in problems]


def _as(cls: type, instance: Any) -> Any:
    """``instance`` (of a subclass of ``cls``) as a plain ``cls``: the fields they share."""
    return cls(**{f.name: getattr(instance, f.name) for f in dataclasses.fields(cls) if f.init})

