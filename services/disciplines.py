"""Queue disciplines: the order in which waiting requests reach a worker.

Every discipline has the same small interface, so the scheduler never knows which one it
holds: ``push``, ``pop`` (the next job to serve, plus any it dropped on the way), ``evict``
(the job it would serve last, to make room), ``drain`` (everything, oldest first, when the
discipline is swapped live) and ``len``.
"""

from __future__ import annotations

from collections import deque

from services.job import Job


class Fifo:
    """First in, first out: fair, and under overload every request waits the whole queue."""

    name = "fifo"

    def __init__(self) -> None:
        self._jobs: deque[Job] = deque()

    def __len__(self) -> int:
        return len(self._jobs)

    def push(self, job: Job, now: float) -> None:
        self._jobs.append(job)

    def pop(self, now: float) -> tuple[Job | None, list[Job]]:
        return (self._jobs.popleft() if self._jobs else None), []

    def evict(self) -> Job | None:
        return self._jobs.pop() if self._jobs else None

    def drain(self) -> list[Job]:
        jobs = list(self._jobs)
        self._jobs.clear()
        return jobs


class Lifo(Fifo):
    """Last in, first out: under overload the newest request, whose client is most likely
    still waiting, is served first; the oldest wait on (and are evicted first)."""

    name = "lifo"

    def pop(self, now: float) -> tuple[Job | None, list[Job]]:
        return (self._jobs.pop() if self._jobs else None), []

    def evict(self) -> Job | None:
        return self._jobs.popleft() if self._jobs else None
