"""One direction of a device: bandwidth and buffer shared by every connection crossing it.

Chunks from every flow wait in one bounded buffer; a deficit-round-robin scheduler forwards
them in turn as the shared token bucket allows, so the device's rate is an aggregate (not per
connection, as in Toxiproxy) and flows share it fairly. A turn forwards at most one quantum,
a millisecond's worth of the device's bandwidth (at least one 1500-byte packet, at most a
chunk), as a packet scheduler would: at 1 MB/s a hundred streams then take turns every few
milliseconds, not every few seconds. An unlimited direction forwards straight through and
costs nothing per chunk beyond the write.

The shaper owns each flow's place in it (a FlowQueue: its chunks, its turn); a flow holds the
queue it was given and asks the queue's shaper to take chunks, pause or drop it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING

from proxy.metrics import FlowMetrics, ProxyMetrics
from proxy.token_bucket import bucket_for
from stormlab_common.contracts.proxy import DirectionLimits, effective_burst_bytes

if TYPE_CHECKING:
    from proxy.flow import Flow

log = logging.getLogger(__name__)

DEVICE_BUFFER_FULL = "device_buffer"
PACKET_BYTES = 1500
QUANTUM_SECONDS = 0.001


class FlowQueue:
    """One flow's place at a shaper: the chunks it has waiting there, and its turn."""

    __slots__ = ("chunks", "deficit", "flow", "metrics", "paused", "ready", "shaper", "turn_started")

    def __init__(self, shaper: Shaper, flow: Flow, metrics: FlowMetrics):
        self.shaper = shaper
        self.flow = flow
        self.metrics = metrics
        self.chunks: deque = deque()  # (memoryview or None = end of stream, queued at)
        self.paused = flow.sink_paused  # its sink cannot take more: no turns until it can
        self.ready = False  # in the shaper's round robin
        self.deficit = 0
        self.turn_started = False


class Shaper:
    def __init__(self, device: str, direction: str, limits: DirectionLimits, chunk_bytes: int,
                 metrics: ProxyMetrics, loop: asyncio.AbstractEventLoop):
        self.device = device
        self.direction = direction
        self.limits = limits
        self.burst_bytes = effective_burst_bytes(limits, chunk_bytes)
        self.quantum = _quantum(limits, chunk_bytes)
        self.buffered_bytes = 0
        self.forwarded_bytes = 0  # since the last counter reset, for the admin API
        self._metrics = metrics
        self._loop = loop
        self._bucket = bucket_for(None, limits.bytes_per_second, self.burst_bytes, loop.time())
        self._ready: deque[FlowQueue] = deque()  # queues with chunks whose sink can take them
        self._blocked: list[Flow] = []  # flows whose source waits for buffer space
        self._flow_metrics: dict[str, FlowMetrics] = {}
        self._task: asyncio.Task | None = None
        self._sleep_until: asyncio.Future | None = None
        metrics.buffered_bytes.labels(device, direction).set_function(lambda: self.buffered_bytes)
        metrics.bucket_level.labels(device, direction).set_function(self.bucket_level)
        self._export_limits()

    def join(self, flow: Flow, link: str) -> FlowQueue:
        """A place here for ``flow``, one of link ``link``'s."""
        metrics = self._flow_metrics.get(link)
        if metrics is None:
            metrics = self._flow_metrics[link] = FlowMetrics(self._metrics, self.device, link, self.direction)
        return FlowQueue(self, flow, metrics)

    @property
    def limited(self) -> bool:
        """True if this direction has a bandwidth limit (and so schedules chunks)."""
        return self._bucket is not None

    def bucket_level(self) -> float:
        if self._bucket is None:
            return float("nan")  # no bucket: unlimited
        return self._bucket.level(self._loop.time())

    def charge(self, amount: int) -> None:
        """Spend some of this direction's bandwidth on the device's own work (a connection
        setup); a direction without a limit has none to spend."""
        if self._bucket is not None and amount:
            self._bucket.charge(amount, self._loop.time())

    def submit(self, queue: FlowQueue, chunk: bytes | None) -> bool:
        """Take a chunk (None = end of stream) for ``queue``'s flow; return True if it was
        queued (it counts against the flow until ``flow.dequeued``), False if forwarded at once."""
        if self._bucket is None and not queue.chunks:
            self._forward(queue, chunk, None)
            return False
        size = len(chunk) if chunk is not None else 0
        # a memoryview, so that forwarding part of a chunk never copies the rest
        queue.chunks.append((memoryview(chunk) if chunk is not None else None, self._loop.time()))
        self.buffered_bytes += size
        if not queue.ready and not queue.paused:
            queue.ready = True
            self._ready.append(queue)
        if self.buffered_bytes >= self.limits.buffer_bytes and queue.flow.block(DEVICE_BUFFER_FULL):
            self._blocked.append(queue.flow)
        if self._task is None:
            self._task = self._loop.create_task(self._schedule())
        return True

    def pause(self, queue: FlowQueue) -> None:
        """The flow's sink is full: no turns for it until ``resume``."""
        queue.paused = True
        if queue.ready:
            queue.ready = False
            queue.turn_started = False
            self._ready.remove(queue)

    def resume(self, queue: FlowQueue) -> None:
        queue.paused = False
        if queue.chunks and not queue.ready:
            queue.ready = True
            self._ready.append(queue)
            if self._task is None:
                self._task = self._loop.create_task(self._schedule())

    def discard(self, queue: FlowQueue) -> None:
        """The flow's connection is gone: drop what it still had queued here."""
        self.pause(queue)
        self.buffered_bytes -= sum(len(chunk) for chunk, _ in queue.chunks if chunk is not None)
        queue.chunks.clear()
        if queue.flow in self._blocked:
            self._blocked.remove(queue.flow)
        self._unblock_if_room()

    def reconfigure(self, limits: DirectionLimits, chunk_bytes: int) -> None:
        self.burst_bytes = effective_burst_bytes(limits, chunk_bytes)
        self._bucket = bucket_for(self._bucket, limits.bytes_per_second, self.burst_bytes, self._loop.time())
        self.limits = limits
        self.quantum = _quantum(limits, chunk_bytes)
        self._export_limits()
        self._unblock_if_room()
        if self._sleep_until is not None and not self._sleep_until.done():
            self._sleep_until.set_result(None)  # re-plan at the new rate now, not after the old wait

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _export_limits(self) -> None:
        labels = (self.device, self.direction)
        rate = self.limits.bytes_per_second
        self._metrics.show_limit(self._metrics.limit_bytes_per_second, labels, rate)
        burst = None if rate is None else self.burst_bytes
        self._metrics.show_limit(self._metrics.limit_burst_bytes, labels, burst)
        self._metrics.show_limit(self._metrics.limit_buffer_bytes, labels, self.limits.buffer_bytes)

    def _forward(self, queue: FlowQueue, chunk: bytes | memoryview | None, queued_at: float | None) -> None:
        """Write to the flow's sink; ``queued_at`` is given for a chunk's last piece only."""
        if chunk is None:
            queue.flow.write_eof()
            return
        queue.flow.write(chunk)
        self.forwarded_bytes += len(chunk)
        queue.metrics.bytes.inc(len(chunk))
        if queued_at is not None:
            queue.metrics.queueing_delay.observe(self._loop.time() - queued_at)

    async def _schedule(self) -> None:
        """Forward queued bytes, a quantum per flow's turn (deficit round robin), as tokens allow."""
        try:
            while self._ready:
                queue = self._ready[0]
                chunk, queued_at = queue.chunks[0]
                size = min(len(chunk), self.quantum) if chunk is not None else 0
                if size > queue.deficit:
                    if queue.turn_started:  # its quantum is spent: next flow's turn
                        queue.turn_started = False
                        self._ready.rotate(-1)
                        continue
                    queue.turn_started = True
                    queue.deficit += self.quantum  # a piece is never larger, so it can now send
                if size and self._bucket is not None:
                    wait = self._bucket.take(size, self._loop.time())
                    if wait > 0:
                        await self._sleep(wait)
                        continue  # the world may have changed while waiting: look again
                if chunk is not None and size < len(chunk):
                    queue.chunks[0] = (chunk[size:], queued_at)
                    piece, queued_at = chunk[:size], None  # the delay is the chunk's last piece's
                else:
                    queue.chunks.popleft()
                    piece = chunk
                queue.deficit -= size
                self.buffered_bytes -= size
                if not queue.chunks and queue.ready:
                    queue.ready = False
                    queue.turn_started = False
                    queue.deficit = 0
                    self._ready.remove(queue)
                self._forward(queue, piece, queued_at)
                queue.flow.dequeued(size)
                self._unblock_if_room()
                await asyncio.sleep(0)  # let reads and other devices run between chunks
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not silence the device for good
            log.exception("device %s %s: scheduler failed; restarting it", self.device, self.direction)
            self._loop.call_soon(self._restart)
        finally:
            self._task = None

    def _restart(self) -> None:
        if self._task is None and self._ready:
            self._task = self._loop.create_task(self._schedule())

    async def _sleep(self, seconds: float) -> None:
        wake = self._sleep_until = self._loop.create_future()
        timer = self._loop.call_later(seconds, _resolve, wake)
        try:
            await wake
        finally:
            timer.cancel()
            self._sleep_until = None

    def _unblock_if_room(self) -> None:
        if self._blocked and self.buffered_bytes < self.limits.buffer_bytes:
            blocked, self._blocked = self._blocked, []
            for flow in blocked:
                flow.unblock(DEVICE_BUFFER_FULL)


def _quantum(limits: DirectionLimits, chunk_bytes: int) -> int:
    if limits.bytes_per_second is None:
        return chunk_bytes
    return int(min(chunk_bytes, max(PACKET_BYTES, limits.bytes_per_second * QUANTUM_SECONDS)))


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
