"""One request's journey through a replica, as the scheduler sees it."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(eq=False)  # identity matters: the same job is found again in queues
class Job:
    endpoint: str
    attempt: int  # X-Attempt: 1 for a first try, 2 for the first retry...
    arrived_at: float  # monotonic seconds
    deadline_at: float | None = None  # monotonic; None when the client sent no X-Deadline-Ms
    enqueued_at: float | None = None
    queue_timeout: float = math.inf  # CoDel's per-job bound on its wait

    @property
    def first_attempt(self) -> bool:
        return self.attempt <= 1

    def deadline_passed(self, now: float) -> bool:
        return self.deadline_at is not None and now >= self.deadline_at

    def waited(self, now: float) -> float:
        return now - self.enqueued_at if self.enqueued_at is not None else 0.0
