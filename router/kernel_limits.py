"""What the kernel device cannot do that the proxy can, and so refuses rather than ignores
(the knobs and why: stormlab_common/contracts/kernel_device.py, which the runner reads too).

Each refused knob has the value the kernel's behaviour amounts to; GET shows that value, a
change to it (or null, back to the default, which here is that value) is accepted, and
anything else is refused with a 400 naming the field and why. Values a knob the kernel has
can take but the kernel cannot represent (a rate under one byte per second) are refused too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from router.ruleset import NotRepresentable, has_setup_queue, limit_rate
from router.traffic_control import MAX_QUEUE_BYTES, SETUP_PACKET_BYTES, whole_rate
from stormlab_common.config import dotted
from stormlab_common.contracts import proxy as contract
from stormlab_common.contracts.kernel_device import (
    NO_FAULTS,
    NO_HTTP,
    NO_RESET_FROM_THE_QUEUE,
    PINNED_CONNECTIONS,
)

NO_ANY_PORT = ("the kernel device forwards the port it is told; it cannot pick a free one: give a port in "
               "1..65535")


def pinned(device: contract.Device) -> contract.Device:
    """``device`` with every refused knob at the value the kernel's behaviour amounts to."""
    values = {key: value for key, (value, _) in PINNED_CONNECTIONS.items()}
    return dataclasses.replace(device, connections=dataclasses.replace(device.connections, **values))


def device_data_refusals(data: Any, prefix: tuple = ()) -> list[str]:
    """The knobs a device patch (or a device in the config file) sets that the kernel lacks."""
    connections = data.get("connections") if isinstance(data, Mapping) else None
    if not isinstance(connections, Mapping):
        return []
    problems = []
    for key, (value, why) in PINNED_CONNECTIONS.items():
        given = connections.get(key)
        if given is not None and given != value:
            problems.append(f"{dotted((*prefix, 'connections', key))}: {why}; expected {value} or null, "
                            f"got {given!r}")
    return problems


def device_value_refusals(device: contract.Device, prefix: tuple = ()) -> list[str]:
    """Limits the kernel has the mechanism for but cannot hold at this value."""
    problems = []
    if device.connections.on_overflow == "reset" and has_setup_queue(device.connections):
        problems.append(f"{dotted((*prefix, 'connections', 'on_overflow'))}: {NO_RESET_FROM_THE_QUEUE}; "
                        f"got 'reset' with backlog {device.connections.backlog}")
    for direction in ("upstream", "downstream"):
        rate = getattr(device, direction).bytes_per_second
        if rate is not None:
            try:
                whole_rate(rate)
            except NotRepresentable as exc:
                problems.append(f"{dotted((*prefix, direction, 'bytes_per_second'))}: {exc}")
        buffer = getattr(device, direction).buffer_bytes
        if buffer > MAX_QUEUE_BYTES:
            problems.append(f"{dotted((*prefix, direction, 'buffer_bytes'))}: tc's fifo holds at most "
                            f"{MAX_QUEUE_BYTES:,} bytes (32 bits), got {buffer}")
    if device.connections.new_per_second is not None:
        where = dotted((*prefix, "connections", "new_per_second"))
        try:
            limit_rate(device.connections.new_per_second)
        except NotRepresentable as exc:
            problems.append(f"{where}: nftables limits whole connections per second, minute, hour or day: "
                            f"{exc}")
        else:
            problems += _setup_queue_refusals(device.connections, where)
    return problems


def _setup_queue_refusals(limits: contract.ConnectionLimits, where: str) -> list[str]:
    problems = []
    if has_setup_queue(limits):
        try:
            whole_rate(limits.new_per_second * SETUP_PACKET_BYTES)
        except NotRepresentable as exc:
            problems.append(f"{where}: with a backlog the setup queue passes SYNs at htb's rate, "
                            f"{SETUP_PACKET_BYTES} bytes each: {exc}; use backlog 0 (nftables' limit) "
                            f"for a higher rate")
    return problems


def link_data_refusals(data: Any, prefix: tuple = ()) -> list[str]:
    """What a link patch (or a link in the config file) asks that the kernel cannot do."""
    if not isinstance(data, Mapping):
        return []
    problems = []
    faults = data.get("faults")
    if isinstance(faults, Mapping):
        problems += [f"{dotted((*prefix, 'faults', name))}: {NO_FAULTS}"
                     for name, fault in faults.items() if fault is not None]
    if data.get("protocol") == "http":
        problems.append(f"{dotted((*prefix, 'protocol'))}: {NO_HTTP}; got 'http'")
    if data.get("listen_port") == 0:
        problems.append(f"{dotted((*prefix, 'listen_port'))}: {NO_ANY_PORT}; got 0")
    return problems
