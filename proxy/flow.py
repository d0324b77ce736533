"""A flow: one direction of one proxied connection, from the transport it reads (source) to
the transport it writes (sink), through the link's delays and the device's shaper.

Backpressure is one rule: the source is paused while anything downstream of it is full (the
sink's write buffer, the flow's share of the device buffer, the device buffer itself) and
resumed when nothing is.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proxy.connection import Connection
    from proxy.shaper import Shaper

# A connection may hold this many chunks in the device before its sender must wait: enough
# to keep a fast flow busy, small enough that one slow reader cannot fill the shared buffer.
FLOW_QUEUE_CHUNKS = 4

SINK_FULL = "sink"
FLOW_QUEUE_FULL = "flow_queue"


class Flow:
    __slots__ = ("_delay_timer", "_last_release", "blocked_by", "connection", "deficit", "delay_line",
                 "direction", "eof_received", "eof_written", "pending", "ready", "shaped", "shaper",
                 "sink", "sink_paused", "source", "turn_started")

    def __init__(self, connection: Connection, direction: str, source: asyncio.Transport,
                 sink: asyncio.Transport):
        self.connection = connection
        self.direction = direction
        self.source = source
        self.sink = sink
        self.pending = 0  # bytes held in the delay line and the device
        self.blocked_by: set[str] = set()
        self.sink_paused = False
        self.eof_received = False  # the source has ended its stream
        self.eof_written = False  # ... and that end has reached the sink
        # device state, owned by the shaper the flow queues in
        self.shaper: Shaper | None = None
        self.shaped: deque = deque()
        self.ready = False
        self.deficit = 0
        self.turn_started = False
        # latency faults: chunks waiting for their release time, in order
        self.delay_line: deque | None = None
        self._delay_timer: asyncio.TimerHandle | None = None
        self._last_release = 0.0

    @property
    def link_name(self) -> str:
        return self.connection.link.name

    def receive(self, chunk: bytes | None) -> None:
        """Take bytes read from the source (None = its end of stream)."""
        if self.eof_received:
            return  # nothing follows an end of stream
        if chunk is None:
            self.eof_received = True
        delay = self.connection.link.faults.delay_seconds(self.direction)
        if delay > 0 or self.delay_line:
            self._delay(chunk, delay)
        else:
            self._to_device(chunk)

    def write(self, chunk: bytes) -> None:
        if not self.sink.is_closing():
            self.sink.write(chunk)

    def write_eof(self) -> None:
        self.eof_written = True
        if not self.sink.is_closing() and self.sink.can_write_eof():
            self.sink.write_eof()
        self.connection.flow_ended(self)

    def dequeued(self, size: int) -> None:
        self.pending -= size
        if self.pending < self._queue_limit():
            self.unblock(FLOW_QUEUE_FULL)

    def set_sink_paused(self, paused: bool) -> None:
        self.sink_paused = paused
        if paused:
            self.block(SINK_FULL)
            if self.shaper is not None:
                self.shaper.sink_paused(self)
        else:
            self.unblock(SINK_FULL)
            if self.shaper is not None:
                self.shaper.sink_resumed(self)

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
        if self.shaper is not None:
            self.shaper.discard(self)

    def _queue_limit(self) -> int:
        return FLOW_QUEUE_CHUNKS * self.connection.link.settings.chunk_bytes

    def _to_device(self, chunk: bytes | None) -> None:
        # A flow keeps using the shaper that still holds its chunks, so that a link moved to
        # another device never reorders a stream; it moves once that queue has drained.
        shaper = self.shaper if self.shaped else self.connection.link.device.shapers[self.direction]
        self.shaper = shaper
        if shaper.submit(self, chunk) and chunk is not None:
            self.pending += len(chunk)
            if self.pending >= self._queue_limit():
                self.block(FLOW_QUEUE_FULL)

    def _delay(self, chunk: bytes | None, delay: float) -> None:
        loop = self.connection.loop
        # Delays count from arrival and never reorder: a chunk leaves no earlier than the one
        # before it, so jitter cannot shuffle a byte stream.
        release_at = max(loop.time() + delay, self._last_release)
        self._last_release = release_at
        if self.delay_line is None:
            self.delay_line = deque()
        self.delay_line.append((release_at, chunk))
        if chunk is not None:
            self.pending += len(chunk)
            if self.pending >= self._queue_limit():
                self.block(FLOW_QUEUE_FULL)
        if self._delay_timer is None:
            self._delay_timer = loop.call_at(release_at, self._release_due)

    def _release_due(self) -> None:
        self._delay_timer = None
        now = self.connection.loop.time()
        while self.delay_line and self.delay_line[0][0] <= now:
            _, chunk = self.delay_line.popleft()
            if chunk is not None:
                self.pending -= len(chunk)
            self._to_device(chunk)
        if self.delay_line:
            self._delay_timer = self.connection.loop.call_at(self.delay_line[0][0], self._release_due)
        if self.pending < self._queue_limit():
            self.unblock(FLOW_QUEUE_FULL)
