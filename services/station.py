"""A replica's capacity in real time: runs the scheduler's verdicts, sleeps for service
times, tells each request its fate, and measures queueing, service and wasted work.

Work is done whether or not the client is still there: a request whose client has given
up still holds its worker for its whole service time (wasted work, counted), unless
deadline propagation is on and the client's deadline passed first. Each request runs in
its own task, so an HTTP handler being cancelled (aiohttp < 3.10 does that when the client
disconnects) neither stops the work nor changes what is counted.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.job import Job
from services.metrics import ServiceMetrics
from services.scheduler import DEADLINE_EXPIRED, QUEUED, START, Scheduler, Verdicts
from services.service_time import make_service_time
from stormlab_common.contracts.service import ServiceConfig

# How late a worker may be and still start its next job from when it should have been free:
# covers timer slack, a busy loop and collector pauses with thousands of requests queued;
# a longer freeze is capacity lost.
MAX_CATCH_UP_SECONDS = 0.25


@dataclass(frozen=True)
class Served:
    result: Any


@dataclass(frozen=True)
class Shed:
    reason: str
    retry_after_seconds: int


class Station:
    def __init__(self, live: ServiceConfig, metrics: ServiceMetrics, service: str, replica: str,
                 clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None):
        self._metrics = metrics
        self._service, self._replica = service, replica
        self._clock = clock
        self._rng = rng or random.Random()
        self._scheduler = Scheduler(live, clock)
        self._fates: dict[Job, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()
        self._use(live)

    @property
    def live(self) -> ServiceConfig:
        return self._scheduler.live

    @property
    def busy(self) -> int:
        return self._scheduler.busy

    @property
    def queued(self) -> int:
        return self._scheduler.queued

    def submit(self, job: Job, work: Callable[[], Any], client_gone: Callable[[], bool]) -> asyncio.Task:
        """Start ``job``'s journey; the task ends with Served(work()) or Shed(reason)."""
        task = asyncio.get_running_loop().create_task(self._journey(job, work, client_gone))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def reconfigure(self, live: ServiceConfig) -> None:
        self._use(live)
        self._apply(self._scheduler.reconfigure(live))

    def stop_accepting(self) -> None:
        self._scheduler.stop_accepting()

    async def drain(self, timeout: float) -> int:
        """Refuse new work and wait (at most ``timeout``) for what is queued or running;
        return how many requests were still unfinished."""
        self._scheduler.stop_accepting()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        return len(self._tasks)

    async def _journey(self, job: Job, work: Callable[[], Any], client_gone: Callable[[], bool]):
        labels = (self._service, job.endpoint, self._replica)
        self._fates[job] = fate = asyncio.get_running_loop().create_future()
        self._apply(self._scheduler.arrive(job))
        verdict, slot_free_at = await fate
        if verdict != START:
            return self._shed(job, verdict)
        started = self._clock()
        self._metrics.queue_wait.labels(*labels).observe(started - job.arrived_at)
        # A worker that frees up a little late (timer slack, a busy loop) starts its next job
        # from when it should have been free, so throughput holds at W / mean service time.
        # A longer stall is capacity lost, as it would be for a real worker.
        begin = started
        if slot_free_at is not None:
            begin = max(slot_free_at, job.enqueued_at or job.arrived_at, started - MAX_CATCH_UP_SECONDS)
        finish_at = begin + self._service_time.sample()
        cut_short = (self.live.mitigations.deadline_propagation.enabled and job.deadline_at is not None
                     and job.deadline_at < finish_at)
        try:
            await asyncio.sleep(max(0.0, (job.deadline_at if cut_short else finish_at) - self._clock()))
            result = None if cut_short else work()
        finally:
            ended = self._clock()
            self._metrics.work_duration.labels(*labels).observe(ended - started)
            self._apply(self._scheduler.release(), slot_free_at=job.deadline_at if cut_short else finish_at)
        if cut_short:  # its client gave up while it was served: stop, free the worker
            return self._shed(job, DEADLINE_EXPIRED)
        self._count_waste(job, labels, ended - started, ended, client_gone)
        return Served(result)

    def _count_waste(self, job: Job, labels, spent: float, now: float, client_gone) -> None:
        if job.deadline_passed(now):
            self._metrics.completed_after_deadline.labels(*labels).inc()
            self._metrics.wasted_work.labels(*labels, "deadline_passed").inc(spent)
        elif client_gone():
            self._metrics.wasted_work.labels(*labels, "client_gone").inc(spent)

    def _shed(self, job: Job, reason: str) -> Shed:
        self._metrics.rejected.labels(self._service, job.endpoint, self._replica, reason).inc()
        return Shed(reason, self.live.mitigations.admission_control.retry_after_seconds)

    def _apply(self, verdicts: Verdicts, slot_free_at: float | None = None) -> None:
        for job, verdict in verdicts:
            queued = self._metrics.queued.labels(self._service, job.endpoint, self._replica)
            if verdict == QUEUED:
                queued.inc()
                continue
            if job.enqueued_at is not None:
                queued.dec()
            fate = self._fates.pop(job)
            if not fate.done():  # cancelled only when the loop itself is being torn down
                fate.set_result((verdict, slot_free_at if verdict == START else None))
            if verdict == START:
                slot_free_at = None  # one freed worker carries its time to one job
        self._metrics.busy_workers.labels(self._service, self._replica).set(self._scheduler.busy)

    def _use(self, live: ServiceConfig) -> None:
        work, capacity, mitigations = live.work, live.capacity, live.mitigations
        admission = mitigations.admission_control
        self._service_time = make_service_time(work.distribution, work.service_time_seconds,
                                               work.p99_in_force_seconds, self._rng)
        m, labels = self._metrics, (self._service, self._replica)
        m.limit_workers.labels(*labels).set(capacity.workers)
        m.limit_queue.labels(*labels).set(capacity.queue_limit)
        m.limit_queue_delay.labels(*labels).set(
            admission.max_queue_delay_seconds if admission.enabled else 0)
        mean = work.service_time_seconds
        m.capacity.labels(*labels).set(capacity.workers / mean if mean else math.inf)
        switches = {"admission_control": admission.enabled,
                    "deadline_propagation": mitigations.deadline_propagation.enabled,
                    "first_attempt_priority": mitigations.first_attempt_priority.enabled,
                    "lifo": live.queue.discipline == "lifo", "codel": live.queue.discipline == "codel"}
        for name, enabled in switches.items():
            m.mitigation_enabled.labels(*labels, name).set(1 if enabled else 0)
