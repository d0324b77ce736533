"""CoDel-style queueing, as services use it (Facebook's "Fail at Scale", 2015).

When the queue has not been empty for a whole ``interval``, it is standing (the replica is
overloaded), and a newly queued request may wait only ``target``; otherwise it may wait up
to ``interval``. Requests over their bound are dropped when they reach the head, so a
standing queue drains quickly instead of serving requests whose clients have given up.
"""

from __future__ import annotations

from services.disciplines import Fifo
from services.job import Job


class CoDel(Fifo):
    name = "codel"

    def __init__(self, target_seconds: float, interval_seconds: float, now: float) -> None:
        super().__init__()
        self.target_seconds = target_seconds
        self.interval_seconds = interval_seconds
        self._last_empty = now  # monotonic time the queue was last seen empty

    def push(self, job: Job, now: float) -> None:
        if not self._jobs:
            self._last_empty = now
        overloaded = now - self._last_empty >= self.interval_seconds
        job.queue_timeout = self.target_seconds if overloaded else self.interval_seconds
        super().push(job, now)

    def pop(self, now: float) -> tuple[Job | None, list[Job]]:
        dropped: list[Job] = []
        while self._jobs:
            job = self._jobs.popleft()
            if job.waited(now) > job.queue_timeout:
                dropped.append(job)
                continue
            break
        else:
            job = None
        if not self._jobs:
            self._last_empty = now
        return job, dropped
