"""A flow: one direction of one proxied connection, from the transport it reads (source) to
the transport it writes (sink), through the link's delays and the device's shaper.

Backpressure is one rule: the source is paused while anything downstream of it is full (the
sink's write buffer, the flow's share of the device buffer, the device buffer itself) and
resumed when nothing is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proxy.lane import Lane
    from proxy.shaper import FlowQueue

SINK_FULL = "sink"
FLOW_QUEUE_FULL = "flow_queue"
MOVING = "moving"  # the link moved to another device: the old one sends what it holds first


class Flow:
    __slots__ = ("_delay_timer", "_ended", "_last_release", "blocked_by", "delay_line", "eof_received",
                 "eof_written", "lane", "pending", "queue", "sink", "sink_paused", "source")

    def __init__(self, lane: Lane, source: asyncio.Transport, sink: asyncio.Transport,
                 ended: Callable[[Flow], None]):
        self.lane = lane
        self.source = source
        self.sink = sink
        self._ended = ended  # told once the end of stream has reached the sink
        self.pending = 0  # bytes held in the delay line and the device
        self.blocked_by: set[str] = set()
        self.sink_paused = False
        self.eof_received = False  # the source has ended its stream
        self.eof_written = False  # ... and that end has reached the sink
        # its place at the shaper it queues in (the device's), given by that shaper
        self.queue: FlowQueue = lane.shaper.join(self, lane.link)
        # latency faults: chunks waiting for their release time, in order
        self.delay_line: deque | None = None
        self._delay_timer: asyncio.TimerHandle | None = None
        self._last_release = 0.0

    def receive(self, chunk: bytes | None) -> None:
        """Take bytes read from the source (None = its end of stream)."""
        if self.eof_received:
            return  # nothing follows an end of stream
        if chunk is None:
            self.eof_received = True
        delay = self.lane.delay_seconds() if self.lane.delayed else 0.0
        if delay > 0 or self.delay_line:
            self._delay(chunk, delay)
        else:
            self._to_device(chunk)

    def read_bytes(self) -> int:
        """How much one read of the source may take: a chunk where a device schedules chunks
        (the lane's, or the one it still queues at after a move) or the link delays them; more
        where neither does. Asked per read, so a limit set live holds from the next one."""
        lane = self.lane
        if lane.delayed or lane.shaper.limited or self.queue.shaper.limited:
            return lane.chunk_bytes
        return lane.unshaped_read_bytes

    def write(self, chunk: bytes | memoryview) -> None:
        if not self.sink.is_closing():
            self.sink.write(chunk)

    def write_eof(self) -> None:
        self.eof_written = True
        # Told first: if this was the connection's last open direction, the connection closes
        # both sockets now, and the close carries the end of stream (a FIN after what is
        # still buffered) without a shutdown() call of its own, one system call in 31 per setup.
        self._ended(self)
        if not self.sink.is_closing() and self.sink.can_write_eof():
            with contextlib.suppress(OSError):  # the peer reset first (ENOTCONN): no one left to tell
                self.sink.write_eof()

    def dequeued(self, size: int) -> None:
        self.pending -= size
        if self.pending < self.lane.queue_limit:
            self.unblock(FLOW_QUEUE_FULL)
        if MOVING in self.blocked_by and not self.queue.chunks:
            self.queue = self.lane.shaper.join(self, self.lane.link)
            self.unblock(MOVING)

    def set_sink_paused(self, paused: bool) -> None:
        self.sink_paused = paused
        if paused:
            self.block(SINK_FULL)
            self.queue.shaper.pause(self.queue)
        else:
            self.unblock(SINK_FULL)
            self.queue.shaper.resume(self.queue)

    def block(self, reason: str) -> bool:
        """Pause the source for ``reason``; True if it was not already blocked for it."""
        if reason in self.blocked_by:
            return False
        if not self.blocked_by:
            self.source.pause_reading()
        self.blocked_by.add(reason)
        return True

    def unblock(self, reason: str) -> None:
        if reason in self.blocked_by:
            self.blocked_by.discard(reason)
            if not self.blocked_by and not self.source.is_closing():
                self.source.resume_reading()

    def discard(self) -> None:
        """The connection is over: give back everything held for it."""
        if self._delay_timer is not None:
            self._delay_timer.cancel()
        if self.delay_line:
            self.delay_line.clear()
        self.queue.shaper.discard(self.queue)

    def _to_device(self, chunk: bytes | None) -> None:
        queue, shaper = self.queue, self.lane.shaper
        if queue.shaper is not shaper:
            # The link moved to another device. Its chunks still queued at the old one go
            # first, so that a move never reorders a stream: the source waits until they have.
            if not queue.chunks:
                queue = self.queue = shaper.join(self, self.lane.link)
            else:
                self.block(MOVING)
        if queue.shaper.submit(queue, chunk) and chunk is not None:
            self.pending += len(chunk)
            if self.pending >= self.lane.queue_limit:
                self.block(FLOW_QUEUE_FULL)

    def _delay(self, chunk: bytes | None, delay: float) -> None:
        loop = self.lane.loop
        # Delays count from arrival and never reorder: a chunk leaves no earlier than the one
        # before it, so jitter cannot shuffle a byte stream.
        release_at = max(loop.time() + delay, self._last_release)
        self._last_release = release_at
        if self.delay_line is None:
            self.delay_line = deque()
        self.delay_line.append((release_at, chunk))
        if chunk is not None:
            self.pending += len(chunk)
            if self.pending >= self.lane.queue_limit:
                self.block(FLOW_QUEUE_FULL)
        if self._delay_timer is None:
            self._delay_timer = loop.call_at(release_at, self._release_due)

    def _release_due(self) -> None:
        self._delay_timer = None
        now = self.lane.loop.time()
        while self.delay_line and self.delay_line[0][0] <= now:
            _, chunk = self.delay_line.popleft()
            if chunk is not None:
                self.pending -= len(chunk)
            self._to_device(chunk)
        if self.delay_line:
            self._delay_timer = self.lane.loop.call_at(self.delay_line[0][0], self._release_due)
        if self.pending < self.lane.queue_limit:
            self.unblock(FLOW_QUEUE_FULL)
