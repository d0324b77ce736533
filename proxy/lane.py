"""What the flows of one link in one direction need from the link, kept current by it: the
shaper they queue at (their device's, for that direction; it changes when the link moves),
the link's delays, and how much each flow may hold in the device."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proxy.faults import FaultChain
    from proxy.shaper import Shaper

# A connection may hold this many chunks in the device before its sender must wait: enough
# to keep a fast flow busy, small enough that one slow reader cannot fill the shared buffer.
FLOW_QUEUE_CHUNKS = 4
# The largest read of a direction with nothing to schedule (no bandwidth limit, no delay):
# nothing is cut into chunks there, and a read four times larger carries a single stream
# 18-24% faster (each read and write costs the same Python whatever its size;
# make bench-proxy-compare MEASURE=throughput).
UNSHAPED_READ_BYTES = 262144


class Lane:
    __slots__ = ("chunk_bytes", "delayed", "direction", "faults", "link", "loop", "queue_limit", "shaper",
                 "unshaped_read_bytes")

    def __init__(self, link: str, direction: str, loop: asyncio.AbstractEventLoop, shaper: Shaper,
                 faults: FaultChain, chunk_bytes: int):
        self.link = link
        self.direction = direction
        self.loop = loop
        self.shaper = shaper
        self.faults = faults
        self.delayed = faults.delays  # read per chunk: spares a call when there is no delay
        self._size(chunk_bytes)

    def delay_seconds(self) -> float:
        return self.faults.delay_seconds(self.direction)

    def use(self, shaper: Shaper, faults: FaultChain, chunk_bytes: int) -> None:
        """Take the link's device, faults and chunk size as they are now."""
        self.shaper = shaper
        self.faults = faults
        self.delayed = faults.delays
        self._size(chunk_bytes)

    def _size(self, chunk_bytes: int) -> None:
        self.chunk_bytes = chunk_bytes
        self.unshaped_read_bytes = max(chunk_bytes, UNSHAPED_READ_BYTES)
        self.queue_limit = FLOW_QUEUE_CHUNKS * chunk_bytes
