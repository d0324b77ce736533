"""Each device's bandwidth, as tc shapes it: an htb class per device and direction, with a
bounded byte FIFO (bfifo) as its queue.

tc shapes what leaves an interface, so a device's upstream (client to service) is shaped on
the interface facing the services and its downstream on the one facing the clients. On
each, an htb root (``1:``) holds one class per device limited in that direction; nftables
puts every packet of a link in its device's class by setting the packet's priority to the
class id (router/ruleset.py), so no tc filter is needed, and a link moved to another device
moves to that device's class with the next rules. A packet whose class does not exist (its
device is unlimited in that direction) goes through htb's direct queue, unshaped.

- rate: ``bytes_per_second`` of payload, as the proxy meters it, rounded to whole bytes per
  second (tc's unit); ceil = rate, so no device borrows another's bandwidth. htb meters what a
  packet costs on the wire, each TCP segment with its own headers (a GSO packet as the segments
  it will be cut into), so the class's rate is the payload rate times what a full-size segment
  costs per byte of payload: (MTU + 14) / (MTU - 52) at an MTU of 1500, Docker's default, 1514
  bytes on the wire for 1448 of payload (Ethernet 14, IPv4 20, TCP 20 and its timestamps 12).
  A bulk transfer's payload then passes at the configured rate; small packets cost more than
  their payload, as on a wire;
- burst: the contract's ``effective_burst_bytes`` (a GSO packet of 64 KiB is the chunk the
  kernel moves), capped at MAX_BURST_SECONDS at the rate, the most htb's burst field holds;
- queue: ``buffer_bytes``, the bfifo's limit: a packet that finds the queue full is dropped
  (the kernel's backpressure is TCP's own congestion control, not a paused reader).

A device with a backlog (``connections.backlog`` > 0 and a setup rate) has one more class on the
services' side, its **setup queue**: nftables sends every SYN of a new connection there, and
htb lets them through at the setup rate, one SYN counted as SETUP_PACKET_BYTES (htb's minimum
packet unit, so a byte rate is a packet rate whatever the SYN's options); they wait in a pfifo
of at most ``backlog`` SYNs, or as many as the rate passes in ``backlog_timeout_seconds`` if
fewer, so none waits longer than the timeout; a SYN finding it full is dropped. That is the
proxy's backlog on the kernel's packet path: an attempt waits its turn, and one that waited
longer than its client's connect timeout reaches the service after the client has given up.

``plan_traffic_control`` is pure; ``TrafficControl`` applies a plan with pyroute2 and reads the
classes' counters back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from router import kernel_names as kn
from router.errors import KernelRefused
from router.ruleset import Interfaces, NotRepresentable, has_setup_queue
from stormlab_common.contracts import proxy as contract
from stormlab_common.metric_names import DOWNSTREAM, UPSTREAM

GSO_PACKET_BYTES = 65536  # the largest packet the kernel queues (GSO/GRO): the kernel's "chunk"
MAX_BURST_SECONDS = 100.0  # htb keeps a burst as the time it takes at the rate, in a 32-bit tick count
SETUP = "setup"  # the setup queue's direction label: the SYNs of new connections, towards the services
SETUP_PACKET_BYTES = 1000  # htb's mpu for the setup queue: every SYN (60-80 bytes) counts as this many
ASSUMED_MTU = 1500
WIRE_BYTES_PER_PAYLOAD_BYTE = (ASSUMED_MTU + 14) / (ASSUMED_MTU - 52)  # a full-size TCP segment's cost
QUANTUM_BYTES = GSO_PACKET_BYTES  # round-robin share among classes; no class borrows, so only >= a packet
ROOT = kn.QDISC_MAJOR << 16
TC_H_ROOT = 0xFFFFFFFF


@dataclass(frozen=True)
class ShapedClass:
    """One device's direction, as tc holds it."""

    device: str
    direction: str
    interface: str
    class_id: int  # 1:(0x10 + n) (1:(0x1000 + n) for the setup queue), in netlink's form
    queue_handle: int  # (0x10 + n):, the queue under the class
    rate_bytes_per_second: int
    burst_bytes: int
    queue_limit: int  # bytes (bfifo), or SYNs (pfifo, the setup queue)
    queue_kind: str = "bfifo"
    mpu_bytes: int = 0  # htb's minimum packet unit: the setup queue's, SETUP_PACKET_BYTES
    wire_bytes_per_byte: float = 1.0  # what htb meters per byte of the rate (payload classes: segments)

    @property
    def htb_rate(self) -> int:
        """The rate htb is given, in the bytes it meters."""
        return round(self.rate_bytes_per_second * self.wire_bytes_per_byte)

    @property
    def htb_burst(self) -> int:
        return min(round(self.burst_bytes * self.wire_bytes_per_byte), int(self.htb_rate * MAX_BURST_SECONDS))

    @property
    def setups_per_second(self) -> float:
        """The setup queue's rate, in SYNs per second."""
        return self.rate_bytes_per_second / SETUP_PACKET_BYTES


def shaped_interface(direction: str, interfaces: Interfaces) -> str:
    """Where a direction leaves the router: upstream towards the services, downstream towards
    the clients."""
    return interfaces.services if direction == UPSTREAM else interfaces.clients


MAX_HTB_RATE = 0xFFFFFFFF  # bytes/s: the 32-bit rate of htb's tc_ratespec (pyroute2 sends no 64-bit one)
MAX_QUEUE_BYTES = 0x7FFFFFFF  # a fifo's limit, as pyroute2 packs it (a signed 32-bit int)


MAX_PAYLOAD_RATE = math.floor((MAX_HTB_RATE - 0.5) / WIRE_BYTES_PER_PAYLOAD_BYTE)  # bytes/s of payload


def whole_rate(bytes_per_second: float, most: int = MAX_HTB_RATE) -> int:
    rate = round(bytes_per_second)
    if rate < 1:
        raise NotRepresentable(f"tc shapes whole bytes per second: expected at least 1, "
                               f"got {bytes_per_second!r}")
    if rate > most:
        raise NotRepresentable(f"tc's htb holds at most {most:,} bytes per second (32 bits"
                               f"{', less the headers it meters' if most != MAX_HTB_RATE else ''}), "
                               f"got {bytes_per_second!r}")
    return rate


def plan_traffic_control(devices: Mapping[str, contract.Device], numbering: kn.Numbering,
                         interfaces: Interfaces) -> tuple[ShapedClass, ...]:
    classes = []
    for name in sorted(devices):
        for direction in (UPSTREAM, DOWNSTREAM):
            limits: contract.DirectionLimits = getattr(devices[name], direction)
            if limits.bytes_per_second is None:
                continue
            rate = whole_rate(limits.bytes_per_second, MAX_PAYLOAD_RATE)
            burst = contract.effective_burst_bytes(limits, GSO_PACKET_BYTES)
            minor = numbering.class_minor(name)
            classes.append(ShapedClass(
                device=name, direction=direction, interface=shaped_interface(direction, interfaces),
                class_id=numbering.class_id(name), queue_handle=minor << 16, rate_bytes_per_second=rate,
                burst_bytes=min(burst, int(rate * MAX_BURST_SECONDS)), queue_limit=limits.buffer_bytes,
                wire_bytes_per_byte=WIRE_BYTES_PER_PAYLOAD_BYTE))
        setup = setup_queue(name, devices[name].connections, numbering, interfaces)
        if setup is not None:
            classes.append(setup)
    return tuple(classes)


def setup_queue_limit(limits: contract.ConnectionLimits) -> int:
    """At most ``backlog`` SYNs, and no more than the rate passes in the backlog's timeout."""
    within_timeout = math.ceil(limits.backlog_timeout_seconds * limits.new_per_second - 1e-9)
    return max(1, min(limits.backlog, within_timeout))


def setup_queue(device: str, limits: contract.ConnectionLimits, numbering: kn.Numbering,
                interfaces: Interfaces) -> ShapedClass | None:
    if not has_setup_queue(limits):
        return None
    rate = whole_rate(limits.new_per_second * SETUP_PACKET_BYTES)
    burst = contract.effective_new_burst(limits) * SETUP_PACKET_BYTES
    return ShapedClass(
        device=device, direction=SETUP, interface=interfaces.services,
        class_id=numbering.setup_class_id(device), queue_handle=numbering.setup_class_minor(device) << 16,
        rate_bytes_per_second=rate, burst_bytes=min(burst, int(rate * MAX_BURST_SECONDS)),
        queue_limit=setup_queue_limit(limits), queue_kind="pfifo", mpu_bytes=SETUP_PACKET_BYTES)


@dataclass(frozen=True)
class ClassCounters:
    """What the kernel counts for one class, since the class was created."""

    bytes: int
    packets: int
    drops: int
    backlog_bytes: int
    queued_packets: int = 0


class TrafficControl:
    """Applies plans with pyroute2. ``ipr_factory`` opens an IPRoute (in the right namespace)."""

    def __init__(self, ipr_factory: Callable[[], Any], interfaces: Interfaces):
        _know_bfifo()
        self._open = ipr_factory
        self.interfaces = interfaces

    def apply(self, plan: Iterable[ShapedClass]) -> None:
        """Make the classes on both interfaces exactly ``plan``'s: classes are changed in place
        (their counters and queued packets kept), created, or deleted with their queue."""
        plan = tuple(plan)
        try:
            with self._open() as ipr:
                for interface in (self.interfaces.clients, self.interfaces.services):
                    index = _index(ipr, interface)
                    _ensure_root(ipr, index)
                    wanted = [shaped for shaped in plan if shaped.interface == interface]
                    for shaped in wanted:
                        params = dict(parent=ROOT, rate=shaped.htb_rate, ceil=shaped.htb_rate,
                                      burst=shaped.htb_burst, cburst=shaped.htb_burst, quantum=QUANTUM_BYTES)
                        if shaped.mpu_bytes:
                            params["mpu"] = shaped.mpu_bytes
                        ipr.tc("replace-class", "htb", index, shaped.class_id, **params)
                        ipr.tc("replace", shaped.queue_kind, index, shaped.queue_handle,
                               parent=shaped.class_id, limit=shaped.queue_limit)
                    keep = {shaped.class_id for shaped in wanted}
                    for handle in _class_handles(ipr, index) - keep:
                        ipr.tc("del-class", index=index, handle=handle)  # no kind: nothing to encode
        except KernelRefused:
            raise
        except Exception as exc:  # pyroute2's NetlinkError, or the socket's OSError
            raise KernelRefused(f"tc refused the shaping: {_netlink_message(exc)}") from exc

    def read(self) -> dict[tuple[str, int], ClassCounters]:
        """Every class's counters, by (interface, class id)."""
        found = {}
        with self._open() as ipr:
            for interface in (self.interfaces.clients, self.interfaces.services):
                for message in ipr.get_classes(_index(ipr, interface)):
                    stats = message.get_attr("TCA_STATS2")
                    basic = (stats.get_attr("TCA_STATS_BASIC") if stats else None) or {}
                    queue = (stats.get_attr("TCA_STATS_QUEUE") if stats else None) or {}
                    found[interface, message["handle"]] = ClassCounters(
                        bytes=basic.get("bytes", 0), packets=basic.get("packets", 0),
                        drops=queue.get("drops", 0), backlog_bytes=queue.get("backlog", 0),
                        queued_packets=queue.get("qlen", 0))
        return found


def _index(ipr: Any, interface: str) -> int:
    found = ipr.link_lookup(ifname=interface)
    if not found:
        raise KernelRefused(f"no interface {interface!r} in the router's network namespace; "
                            f"check interfaces.clients and interfaces.services")
    return found[0]


def _ensure_root(ipr: Any, index: int) -> None:
    """An htb root ``1:`` whose unclassified packets (default 0) go unshaped."""
    for qdisc in ipr.get_qdiscs(index):
        if qdisc["parent"] == TC_H_ROOT:
            if qdisc.get_attr("TCA_KIND") == "htb" and qdisc["handle"] == ROOT:
                return
            break
    ipr.tc("replace", "htb", index, ROOT, default=0)


def _class_handles(ipr: Any, index: int) -> set[int]:
    return {message["handle"] for message in ipr.get_classes(index)
            if message.get_attr("TCA_KIND") == "htb" and message["handle"] >> 16 == kn.QDISC_MAJOR}


def _netlink_message(exc: Exception) -> str:
    code, message = getattr(exc, "code", None), str(exc)
    return f"{message} (error {code})" if code is not None and str(code) not in message else message


def _know_bfifo() -> None:
    """pyroute2 knows tc's pfifo but not bfifo, whose options are the same struct (one limit),
    read by the kernel in bytes instead of packets: tell its plugin table so."""
    from pyroute2.netlink.rtnl import tcmsg

    tcmsg.plugins.setdefault("bfifo", tcmsg.sched_pfifo)
