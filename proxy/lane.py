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


class Lane:
    __slots__ = ("delayed", "direction", "faults", "link", "loop", "queue_limit", "shaper")

    def __init__(self, link: str, direction: str, loop: asyncio.AbstractEventLoop, shaper: Shaper,
                 faults: FaultChain, chunk_bytes: int):
        self.link = link
        self.direction = direction
        self.loop = loop
        self.shaper = shaper
        self.faults = faults
        self.delayed = faults.delays  # read per chunk: spares a call when there is no delay
        self.queue_limit = FLOW_QUEUE_CHUNKS * chunk_bytes

    def delay_seconds(self) -> float:
        return self.faults.delay_seconds(self.direction)

    def use(self, shaper: Shaper, faults: FaultChain, chunk_bytes: int) -> None:
        """Take the link's device, faults and chunk size as they are now."""
        self.shaper = shaper
        self.faults = faults
        self.delayed = faults.delays
        self.queue_limit = FLOW_QUEUE_CHUNKS * chunk_bytes
