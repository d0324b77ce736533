"""The workers the master knows: when each was last heard from, and where each says its client
metrics can be scraped (its advertised address; None for one found another way, as the stack's
own workers are, by Docker's DNS).

Which workers are connected is locust's to say (its runner's clients), so every answer is for
the ones connected now; what is kept of a worker gone is forgotten then, and memory stays
bounded however many workers come and go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerSeen:
    id: str
    metrics: str | None  # host:port, as the worker advertised it
    last_seen: float | None  # wall-clock time of its last announcement; None: not heard from yet


class WorkerRegistry:
    def __init__(self, clock: Callable[[], float]):
        """``clock``: wall-clock seconds (what last_seen reports)."""
        self._clock = clock
        self._heard: dict[str, tuple[str | None, float]] = {}

    def heard(self, worker: str, metrics: str | None) -> None:
        """``worker`` announced itself now, its metrics at ``metrics`` (None: not advertised)."""
        self._heard[worker] = (metrics, self._clock())

    def workers(self, connected: Iterable[str]) -> list[WorkerSeen]:
        """Each connected worker, in locust's order; forgets those no longer connected."""
        connected = list(connected)
        self._heard = {worker: self._heard[worker] for worker in connected if worker in self._heard}
        return [WorkerSeen(worker, *self._heard.get(worker, (None, None))) for worker in connected]
