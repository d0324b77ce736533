"""When attempts were sent: counts per 0.1 s slot of wall-clock time, first tries apart from
retries, for the last 10 minutes (docs/clients.md, "When attempts were sent").

Prometheus scrapes every 2 s, so it cannot tell a wave of retries fired in the same 100 ms
(exponential backoff without jitter) from the same retries spread over the 2 s (jitter);
these counts can. Wall-clock time, not monotonic: the slots of every process must line up
with each other and with the experiment runner's timeline.

A worker records and takes its slots once they have ended (``take_closed``), to ship them;
the master adds them up (``merge``) and answers for a window (``window``). Slots are kept by
integer index, ``floor(t / SLOT_SECONDS)``, so floats never decide which slot is which, and
travel as ``[index, first, retries]`` triples: locust's msgpack refuses non-string map keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from stormlab_common.time_slots import (
    KEEP_SECONDS,
    KEEP_SLOTS,
    SLOT_SECONDS,
    SlotRing,
    slot_of,
    slots_to,
    start_of,
)

__all__ = ["KEEP_SECONDS", "KEEP_SLOTS", "SLOT_SECONDS", "AttemptTimeline", "closes", "slot_of", "slots_to",
           "start_of"]


def closes(through: float, until: float) -> bool:
    """Whether a process that has counted every slot before ``through`` (a slot boundary) has
    counted a window ending at ``until`` whole."""
    return slot_of(through) >= slots_to(until)


class AttemptTimeline:
    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._ring = SlotRing(clock, lambda: [0, 0])  # index -> [first tries, retries]
        self._taken_to = -math.inf  # slots before it are shipped: never counted again

    def record(self, attempt: int) -> None:
        """One attempt sent now: a first try if ``attempt`` is 1, a retry after."""
        index = self._ring.advance()
        # The wall clock can step back: a slot already shipped is never reopened, its attempt
        # counts in the first one not shipped.
        index = max(index, self._taken_to)
        self._ring.counts(index)[0 if attempt == 1 else 1] += 1

    def closed_through(self) -> float:
        """The time before which every slot has ended: the start of the current one."""
        return start_of(slot_of(self._clock()))

    def take_closed(self) -> list[list[int]]:
        """``[index, first, retries]`` for every slot that has ended and was not taken before,
        oldest first; they leave this timeline (a worker ships them to its master)."""
        current = self._ring.advance()
        closed = [index for index in self._ring.indices() if index < current]
        self._taken_to = max(self._taken_to, current)
        return [[index, *self._ring.pop(index)] for index in closed]

    def merge(self, triples: Iterable[list[int]]) -> None:
        """Adds slots taken from another timeline (a worker's); those no longer kept are dropped."""
        self._ring.advance()
        for index, first, retries in triples:
            if index >= self._ring.kept_from:
                counts = self._ring.counts(index)
                counts[0] += first
                counts[1] += retries

    def kept_since(self) -> float:
        """The start of the oldest slot kept: at most ``KEEP_SECONDS`` ago."""
        return self._ring.kept_since()

    def window(self, since: float, until: float) -> list[list[float | int]]:
        """``[slot start, first, retries]`` for every slot from the one holding ``since`` to the
        last one starting before ``until``, those with no attempt included."""
        return [[start_of(index), *(self._ring.get(index) or (0, 0))]
                for index in range(slot_of(since), slots_to(until))]

    def slots_held(self) -> int:
        """How many slots are held: at most ``KEEP_SLOTS + 1`` of those up to now."""
        return len(self._ring)
