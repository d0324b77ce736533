"""When connections arrived at the devices: counts per 0.1 s slot of wall-clock time, per
device, for the last 10 minutes (docs/proxy.md, "When connections arrived: /arrivals").

Prometheus scrapes every 2 s, too coarse to tell a wave of retries that arrived within the
same 100 ms (exponential backoff without jitter) from the same retries spread out (jitter);
these counts can. And "arrived" means when the kernel completed the handshake, not when
the event loop got round to accepting: during a storm the loop is busy and accepts in
batches, so accept times would show the proxy's CPU rhythm rather than the clients'.
``seconds_since_arrival`` reads how long an accepted connection waited in the listen queue
back from the kernel.

Slots are kept by integer index (stormlab_common/time_slots.py), the same cut the load
generator and the experiment runner use, so the three line up slot for slot.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable

from stormlab_common.time_slots import SlotRing, slot_of, slots_to, start_of

# struct tcp_info (linux/tcp.h): eight u8 fields, then u32s; tcpi_last_data_recv is the 12th.
_LAST_DATA_RECV_OFFSET = 8 + 4 * 11
_TCP_INFO_BYTES = 104
# Clients give up long before this; a larger figure would be a stale or garbled reading, and
# it must not throw an arrival minutes into the past.
MAX_SECONDS_SINCE_ARRIVAL = 30.0


def seconds_since_arrival(sock: socket.socket | None) -> float:
    """How long ago an accepted TCP connection arrived, from the kernel (Linux's TCP_INFO).

    ``tcpi_last_data_recv`` counts milliseconds since the last data came in, or since the
    handshake when none has: clients send their request right after connecting, so either
    way it is the time since the client knocked, however long the connection then sat in
    the listen queue. 0.0 where that cannot be read (no socket, not TCP, not Linux): the
    arrival then counts when it was accepted, as before.
    """
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_BYTES)
        (milliseconds,) = struct.unpack_from("I", info, _LAST_DATA_RECV_OFFSET)
    except Exception:  # any failure means "unknown", and must never cost the connection
        return 0.0
    return min(milliseconds / 1000, MAX_SECONDS_SINCE_ARRIVAL)


class ArrivalTimeline:
    def __init__(self, clock: Callable[[], float]):
        self._ring = SlotRing(clock, dict)  # index -> {device: arrivals}

    def record(self, arrived_at: float, device: str) -> None:
        """One connection that arrived at ``device`` at ``arrived_at`` (unix seconds)."""
        current = self._ring.advance()
        # Nothing arrives in the future; should the wall clock step back, count it now, so
        # no slot ahead of the present is ever held (memory stays bounded).
        index = min(slot_of(arrived_at), current)
        if index < self._ring.kept_from:
            return  # from before anything kept: the window it belongs to is gone
        counts = self._ring.counts(index)
        counts[device] = counts.get(device, 0) + 1

    def window(self, since: float, until: float, device: str | None = None) -> list[list[float | int]]:
        """``[slot start, arrivals]`` for every slot from the one holding ``since`` to the last
        one starting before ``until``, those with none included; at one device, or at all of
        them (``device`` None)."""
        self._ring.advance()
        return [[start_of(index), self._count(index, device)]
                for index in range(slot_of(since), slots_to(until))]

    def kept_since(self) -> float:
        """The start of the oldest slot kept: at most ``KEEP_SECONDS`` ago."""
        return self._ring.kept_since()

    def devices(self) -> set[str]:
        """The devices with an arrival in a slot still kept (a deleted one's history included)."""
        self._ring.advance()
        return {device for index in self._ring.indices() for device in self._ring.get(index)}

    def slots_held(self) -> int:
        """How many slots are held: at most ``KEEP_SLOTS + 1`` of those up to now."""
        return len(self._ring)

    def _count(self, index: int, device: str | None) -> int:
        counts = self._ring.get(index)
        if not counts:
            return 0
        return sum(counts.values()) if device is None else counts.get(device, 0)
