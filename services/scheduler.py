"""Who gets a worker: W workers, a bounded waiting room, and the arrival-time mitigations.

Pure logic on an injected clock, so tests drive it exactly. Every call returns the
verdicts it reached, ``(job, verdict)`` pairs: ``START`` (a worker is the job's now),
``QUEUED``, or the reason it was shed (one of ``REJECTION_REASONS``). Whoever runs the
work (the Station) calls ``release`` when a worker frees up.
"""

from __future__ import annotations

from collections.abc import Callable

from services.job import Job
from services.lanes import Lanes
from stormlab_common.contracts.service import ServiceConfig

START = "start"
QUEUED = "queued"
# Why a request was shed; the `reason` label of stormlab_service_rejected_requests_total.
QUEUE_FULL = "queue_full"
ADMISSION = "admission_control"  # the queueing delay it would see exceeds the bound
CODEL = "codel"  # it waited longer than CoDel allowed
DEADLINE_EXPIRED = "deadline_expired"  # its client's deadline passed before a worker took it
DISPLACED = "displaced"  # a queued retry pushed out by a first attempt (priority)
SHUTTING_DOWN = "shutting_down"
REJECTION_REASONS = (QUEUE_FULL, ADMISSION, CODEL, DEADLINE_EXPIRED, DISPLACED, SHUTTING_DOWN)

Verdicts = list[tuple[Job, str]]


class Scheduler:
    def __init__(self, live: ServiceConfig, clock: Callable[[], float]):
        self.live = live
        self._clock = clock
        self.busy = 0
        self.accepting = True
        self.lanes = Lanes(live.queue, live.mitigations.first_attempt_priority.enabled, clock())

    @property
    def queued(self) -> int:
        return len(self.lanes)

    def expected_queue_delay(self, job: Job) -> float:
        """The wait a newcomer can expect: the queue ahead of it, and itself, served W at a
        time at the configured mean service time."""
        per_worker = self.live.work.service_time_seconds / self.live.capacity.workers
        return (self.lanes.ahead_of(job) + 1) * per_worker

    def arrive(self, job: Job) -> Verdicts:
        now = self._clock()
        mitigations = self.live.mitigations
        if not self.accepting:
            return [(job, SHUTTING_DOWN)]
        if mitigations.deadline_propagation.enabled and job.deadline_passed(now):
            return [(job, DEADLINE_EXPIRED)]
        if self.busy < self.live.capacity.workers and not self.lanes:
            self.busy += 1
            return [(job, START)]
        admission = mitigations.admission_control
        if admission.enabled and self.expected_queue_delay(job) > admission.max_queue_delay_seconds:
            return [(job, ADMISSION)]
        verdicts: Verdicts = []
        if len(self.lanes) >= self.live.capacity.queue_limit:
            displaced = self.lanes.make_room_for(job)
            if displaced is None:
                return [(job, QUEUE_FULL)]
            verdicts.append((displaced, DISPLACED))
        self.lanes.push(job, now)
        verdicts.append((job, QUEUED))
        return verdicts

    def release(self) -> Verdicts:
        """A worker finished: hand it (and any other idle one) the next queued jobs."""
        self.busy -= 1
        return self._fill()

    def reconfigure(self, live: ServiceConfig) -> Verdicts:
        old, self.live = self.live, live
        priority = live.mitigations.first_attempt_priority.enabled
        if (old.queue, old.mitigations.first_attempt_priority.enabled) != (live.queue, priority):
            self.lanes = self.lanes.rebuilt(live.queue, priority, self._clock())
        return self._fill()  # more workers may serve the queue at once

    def stop_accepting(self) -> None:
        """Shutting down: refuse newcomers; what is queued or running is still served."""
        self.accepting = False

    def _fill(self) -> Verdicts:
        verdicts: Verdicts = []
        now = self._clock()
        while self.busy < self.live.capacity.workers and self.lanes:
            job, dropped = self.lanes.pop(now)
            verdicts += [(gone, CODEL) for gone in dropped]
            if job is None:
                break
            if self.live.mitigations.deadline_propagation.enabled and job.deadline_passed(now):
                verdicts.append((job, DEADLINE_EXPIRED))  # its client gave up: not worth a worker
                continue
            self.busy += 1
            verdicts.append((job, START))
        return verdicts
