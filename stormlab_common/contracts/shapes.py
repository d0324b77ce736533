"""How many clients to run at each moment of a run: the load shapes of the experiments, told
apart by ``kind``, each a pure function of time (loadgen/locustfile.py turns one into
locust's LoadTestShape).

- steady: ``clients`` for ``seconds``.
- surge: ``clients``, then ``factor`` times as many from ``start_seconds`` for
  ``surge_seconds`` (the scaling activity's surge of clients), then back, until ``seconds``.
- sweep: ``steps`` of (clients, seconds), up and down, for hysteresis curves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from stormlab_common.model import Meta, Tagged

Clients = Annotated[int, Meta(ge=0, le=100000, description="simulated clients")]
Seconds = Annotated[float, Meta(gt=0, le=86400)]
SpawnRate = Annotated[float, Meta(gt=0, le=100000, description="clients started (or stopped) per second "
                                                                 "on a change")]


class _Plan:
    """What every shape answers: its ``schedule``, (until this many seconds into the run,
    clients) pairs, and from it the clients wanted at any moment."""

    @property
    def schedule(self) -> tuple[tuple[float, int], ...]:
        raise NotImplementedError

    def clients_at(self, seconds: float) -> int | None:
        """Clients wanted ``seconds`` into the run; None once the plan is over."""
        for until, clients in self.schedule:
            if seconds < until:
                return clients
        return None


@dataclass(frozen=True)
class Steady(_Plan):
    kind: Literal["steady"]
    clients: Clients
    seconds: Seconds
    spawn_rate: SpawnRate = 100.0

    @property
    def schedule(self):
        return ((self.seconds, self.clients),)


@dataclass(frozen=True)
class Surge(_Plan):
    kind: Literal["surge"]
    clients: Clients
    factor: Annotated[float, Meta(ge=1, le=1000, description="the population during the surge, "
                                                              "as a multiple of clients")]
    start_seconds: Seconds
    surge_seconds: Seconds
    seconds: Seconds
    spawn_rate: SpawnRate = 100.0

    def check(self):
        end = self.start_seconds + self.surge_seconds
        if end >= self.seconds:
            return [((), f"the surge must end (start_seconds + surge_seconds = {end:g}) before the run "
                         f"does (seconds = {self.seconds:g})")]
        return []

    @property
    def schedule(self):
        end = self.start_seconds + self.surge_seconds
        return ((self.start_seconds, self.clients), (end, round(self.clients * self.factor)),
                (self.seconds, self.clients))


@dataclass(frozen=True)
class Step:
    clients: Clients
    seconds: Seconds


@dataclass(frozen=True)
class Sweep(_Plan):
    kind: Literal["sweep"]
    steps: Annotated[tuple[Step, ...], Meta(min_items=1, max_items=1000)]
    spawn_rate: SpawnRate = 100.0

    @property
    def schedule(self):
        elapsed, schedule = 0.0, []
        for step in self.steps:
            elapsed += step.seconds
            schedule.append((elapsed, step.clients))
        return tuple(schedule)


Shape = Annotated[Steady | Surge | Sweep, Tagged("kind")]
