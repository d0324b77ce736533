"""The three cases, and one case measured: start its workers, let the master spread the clients
over them, let them settle, read every count at both ends of a steady window, remove them.

Each case gets fresh workers on the same master and origin: the master is not what is
compared, and its attempt timeline covers whichever workers are connected.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.proxy_bench.native import NginxOrigin
from benchmarks.workers_bench import cpu
from benchmarks.workers_bench.figures import (
    Measured,
    per_second_spread,
    sent_per_second,
    worker_counts,
    worker_rates,
)
from benchmarks.workers_bench.fleet import Fleet
from benchmarks.workers_bench.offered import Offered
from benchmarks.workers_bench.other_host import OTHER_HOST, OtherHost
from stormlab_common.time_slots import SLOT_SECONDS

ATTEMPTS_TIMEOUT = 30.0  # every worker reports every 0.5 s; later on a machine this busy


@dataclass(frozen=True)
class Case:
    name: str
    here: int  # workers on this host
    elsewhere: int  # workers on the other host

    @property
    def where(self) -> str:
        parts = ([f"{self.here} here"] if self.here else []) + (
            [f"{self.elsewhere} on the other host"] if self.elsewhere else [])
        return " + ".join(parts)


# (d) is not in a default run: the other host's path alone, beside (a)'s, tells what the path
# costs a worker (Docker's bridge here, with bridge-nf-call-iptables; a plain veth there).
CASES = (Case("(a) 1 worker process", 1, 0),
         Case("(b) 2 worker processes on this host", 2, 0),
         Case("(c) 1 here + 1 from the other host", 1, 1),
         Case("(d) 1 worker process on the other host", 0, 1))


@dataclass(frozen=True)
class Reading:
    """Every count at one moment."""

    at: float
    workers: list[dict[str, float]]
    workers_cpu: float
    origin_answered: int
    origin_cpu: float
    master_cpu: float
    machine: tuple[int, int]
    link: tuple[int, int]  # bytes in and out on the other host's link


def read(fleet: Fleet, other_host: OtherHost, origin: NginxOrigin, origin_pids: list[int]) -> Reading:
    at = time.time()
    return Reading(at, [worker_counts(fleet.scrape(worker)) for worker in fleet.workers],
                   cpu.process_seconds([worker.pid for worker in fleet.workers]), origin.requests(),
                   cpu.process_seconds(origin_pids), cpu.process_seconds([fleet.master_pid]),
                   cpu.read_machine_ticks(), other_host.link_bytes())


def measure(case: Case, fleet: Fleet, other_host: OtherHost, origin: NginxOrigin, offered: Offered,
            warmup: float, seconds: float, others: Callable[[], int], say=print) -> tuple[Measured, int]:
    """The case's figures, and how many containers not of this run were running at the
    window's end (someone else's load on the same cores)."""
    try:
        for _ in range(case.here):
            fleet.start_here()
        for _ in range(case.elsewhere):
            fleet.start_elsewhere(other_host.network_mode(), OTHER_HOST)
        say(f"{case.name}: {len(fleet.workers)} workers joined in {fleet.wait_joined():.1f} s")
        fleet.master.swarm(offered.clients, offered.clients)  # all within a second
        fleet.wait_running(offered.clients)
        time.sleep(warmup)
        # the window on whole slots, so each of its slots is counted whole
        since = math.ceil(time.time() / SLOT_SECONDS) * SLOT_SECONDS
        until = since + round(seconds / SLOT_SECONDS) * SLOT_SECONDS
        origin_pids = cpu.with_children(origin.pid)
        time.sleep(max(0.0, since - time.time()))
        before = read(fleet, other_host, origin, origin_pids)
        time.sleep(max(0.0, until - time.time()))
        after = read(fleet, other_host, origin, origin_pids)
        disturbing = others()
        window = fleet.master.attempts(since, until, timeout=ATTEMPTS_TIMEOUT)
        fleet.master.stop()
    finally:
        fleet.remove_workers()
    elapsed = after.at - before.at
    rates = worker_rates(before.workers, after.workers, elapsed)
    found = Measured(
        case=case.name, where=case.where, seconds=until - since, sent_per_second=sent_per_second(window),
        spread=per_second_spread(window), per_worker=rates.each, failed_share=rates.failed_share,
        dropped_per_second=rates.dropped_per_second,
        answered_per_second=(after.origin_answered - before.origin_answered - 1) / elapsed,  # less our query
        workers_cpu=(after.workers_cpu - before.workers_cpu) / elapsed,
        origin_cpu=(after.origin_cpu - before.origin_cpu) / elapsed,
        master_cpu=(after.master_cpu - before.master_cpu) / elapsed,
        machine_busy=cpu.busy_cores(before.machine, after.machine, cpu.cores()),
        link_bytes_per_second=(sum(after.link) - sum(before.link)) / elapsed)
    say(f"{case.name}: {found.sent_per_second:,.0f} attempts/s over {found.seconds:.1f} s")
    return found, disturbing
