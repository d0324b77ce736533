"""How busy each of the stack's containers was during a run, from the Docker API: so a report
can say that the device's limits, not the machine's CPU, set the rates it shows.

One thread asks the Engine for every container's CPU counter once a second (``stats`` with
``one_shot``) and turns each pair of readings into cores busy over that second (1.0 = one core
the whole time). The containers are asked all at once: the Engine answers a container's
``one_shot`` at its next collection tick, up to a second later, so asked one after another ten
containers took ten seconds a round (each "second" a ten-second mean) and as long to stop. A container
started during the run (a scaled-out replica) is picked up at the next listing; one that goes
away keeps the samples it had. The sampler's failures never fail the run: they become a note.
"""

from __future__ import annotations

import calendar
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

SAMPLE_SECONDS = 1.0
LIST_EVERY_SAMPLES = 5  # the stack's containers are listed again every this many samples
# Readings asked at once; the Docker SDK's connection pool holds 10 by default, and a stack
# scaled out past that shares them (a round then takes two of the Engine's ticks).
PARALLEL_READINGS = 10
# How long ``stop`` waits for a round in flight (about one Engine tick); past that the thread,
# a daemon, finishes on its own and what it reads after the stop is not kept.
STOP_WAIT_SECONDS = 3.0
# A container busy for at least this share of one core at its peak is reported as saturated:
# one Python process (a proxy, a worker) cannot use more than one core.
SATURATED_CORES = 0.9
# The sum over the stack's containers in each round of readings, kept as if it were one more
# container: two processes each under a core can still fill a 2-core machine between them.
ALL_CONTAINERS = "(all containers)"


@dataclass(frozen=True)
class Sample:
    at: float  # wall-clock time at the end of the second it covers
    cores: float


def cores_between(first: dict, second: dict) -> float | None:
    """Cores busy between two ``stats`` readings of one container; None if they do not say."""
    try:
        used = _usage(second) - _usage(first)
        elapsed = _read_at(second) - _read_at(first)
    except (KeyError, TypeError, ValueError):
        return None
    if elapsed <= 0 or used < 0:  # a restarted container's counter starts again from 0
        return None
    return used / 1e9 / elapsed


def _usage(stats: dict) -> int:
    """The container's CPU time so far, in nanoseconds (cgroup v1 and v2 alike)."""
    return stats["cpu_stats"]["cpu_usage"]["total_usage"]


def _read_at(stats: dict) -> float:
    """The reading's time (RFC 3339 with nanoseconds), as seconds: the Engine's own clock, so a
    late answer does not stretch the second it covers."""
    stamp = stats["read"]
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return seconds + (float(f"0.{fraction[:9]}") if fraction else 0.0)


class ContainerCpu:
    """Samples the CPU of the containers ``list_containers`` returns, as ``(name, container)``
    pairs, until ``stop``; ``samples`` holds what it saw, by name."""

    def __init__(self, list_containers: Callable[[], list[tuple[str, object]]],
                 sample_seconds: float = SAMPLE_SECONDS, clock: Callable[[], float] = time.time):
        self._list = list_containers
        self._sample_seconds = sample_seconds
        self._clock = clock
        self.samples: dict[str, list[Sample]] = {}
        self.problem: str | None = None  # the first failure, for the run's notes
        self._last: dict[str, dict] = {}
        self._lock = threading.Lock()  # samples are written by the thread, read by ``peaks``
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="container-cpu", daemon=True)

    def start(self) -> ContainerCpu:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=STOP_WAIT_SECONDS)

    def _run(self) -> None:
        containers: list[tuple[str, object]] = []
        count = 0
        with ThreadPoolExecutor(PARALLEL_READINGS, thread_name_prefix="container-cpu-read") as readers:
            while not self._stop.is_set():
                round_started = time.monotonic()
                try:
                    if count % LIST_EVERY_SAMPLES == 0:
                        containers = self._list()
                    readings = list(readers.map(lambda pair: self._read(*pair), containers))
                    if not self._stop.is_set():  # a round finished after the stop is not the run's
                        self._record(readings)
                except Exception as exc:  # the Engine went away, a listing failed
                    self.problem = self.problem or f"{type(exc).__name__}: {exc}"
                count += 1
                # a round paced from its start: the Engine's tick already took most of the second
                self._stop.wait(max(0.0, self._sample_seconds - (time.monotonic() - round_started)))

    def _read(self, name: str, container) -> tuple[str, dict | None]:
        try:
            return name, container.stats(stream=False, one_shot=True)
        except Exception as exc:  # a container that stopped between the listing and now
            self.problem = self.problem or f"{name}: {type(exc).__name__}: {exc}"
            return name, None

    def _record(self, readings: list[tuple[str, dict | None]]) -> None:
        total, measured = 0.0, 0
        with self._lock:
            for name, reading in readings:
                if reading is None:
                    continue
                previous, self._last[name] = self._last.get(name), reading
                cores = cores_between(previous, reading) if previous is not None else None
                if cores is not None:
                    self.samples.setdefault(name, []).append(Sample(self._clock(), cores))
                    total, measured = total + cores, measured + 1
            if measured:
                self.samples.setdefault(ALL_CONTAINERS, []).append(Sample(self._clock(), total))

    def peaks(self, since: float, until: float) -> dict[str, dict]:
        """Per container, its busiest second and its mean between two wall-clock times:
        ``{"peak_cores", "peak_at" (seconds after ``since``), "mean_cores", "samples"}``."""
        figures = {}
        with self._lock:
            kept = {name: list(samples) for name, samples in self.samples.items()}
        for name, samples in sorted(kept.items()):
            inside = [s for s in samples if since <= s.at <= until]
            if not inside:
                continue
            peak = max(inside, key=lambda s: s.cores)
            figures[name] = {"peak_cores": round(peak.cores, 3), "peak_at": round(peak.at - since, 1),
                             "mean_cores": round(sum(s.cores for s in inside) / len(inside), 3),
                             "samples": len(inside)}
        return figures
