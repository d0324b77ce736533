"""The waiting room: one queue discipline, or two lanes when first attempts go first.

With ``first_attempt_priority`` on, requests whose ``X-Attempt`` is 1 wait in their own
lane, served before any retry, and a first attempt arriving at a full queue pushes out a
queued retry: in a retry storm the requests most likely to still matter get the workers.
"""

from __future__ import annotations

from services.codel import CoDel
from services.disciplines import Fifo, Lifo
from services.job import Job
from stormlab_common.contracts.service import Queue

DISCIPLINES = {
    "fifo": lambda settings, now: Fifo(),
    "lifo": lambda settings, now: Lifo(),
    "codel": lambda settings, now: CoDel(settings.codel_target_seconds, settings.codel_interval_seconds, now),
}


class Lanes:
    def __init__(self, settings: Queue, first_attempt_priority: bool, now: float):
        self.discipline = settings.discipline
        self.first_attempt_priority = first_attempt_priority
        make = DISCIPLINES[settings.discipline]
        self._first = make(settings, now)
        # Without priority, retries share the first attempts' lane.
        self._retries = make(settings, now) if first_attempt_priority else self._first

    def __len__(self) -> int:
        return len(self._first) + (len(self._retries) if self._retries is not self._first else 0)

    def _lane(self, job: Job):
        return self._first if job.first_attempt else self._retries

    def push(self, job: Job, now: float) -> None:
        job.enqueued_at = now
        self._lane(job).push(job, now)

    def pop(self, now: float) -> tuple[Job | None, list[Job]]:
        job, dropped = self._first.pop(now)
        if job is None and self._retries is not self._first:
            job, more = self._retries.pop(now)
            dropped += more
        return job, dropped

    def ahead_of(self, job: Job) -> int:
        """How many queued requests a newcomer waits behind (its own lane and those before it)."""
        return len(self._first) if self.first_attempt_priority and job.first_attempt else len(self)

    def make_room_for(self, job: Job) -> Job | None:
        """The queued retry a first attempt pushes out of a full queue, if priority allows one."""
        if self.first_attempt_priority and job.first_attempt:
            return self._retries.evict()
        return None

    def drain(self) -> list[Job]:
        jobs = self._first.drain() + (self._retries.drain() if self._retries is not self._first else [])
        return sorted(jobs, key=lambda j: j.enqueued_at or 0.0)

    def rebuilt(self, settings: Queue, first_attempt_priority: bool, now: float) -> Lanes:
        """New lanes for new settings, holding the same jobs (oldest queued first)."""
        lanes = Lanes(settings, first_attempt_priority, now)
        for job in self.drain():
            enqueued_at = job.enqueued_at
            lanes.push(job, now)
            job.enqueued_at = enqueued_at  # its wait goes on from when it really queued
        return lanes
