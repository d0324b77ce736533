"""The figures of one case, and the table: pure functions of what was read.

The figure is the master's: ``GET /stormlab/attempts`` counts each attempt in the 0.1 s slot
its worker sent it in, every connected worker's included, which is the count the experiments
use (docs/clients.md, "When attempts were sent"). Beside it, two counts made elsewhere: each
worker's own ``stormlab_client_attempts_total`` (who sent them: the split between the workers,
and the share that failed) and the origin's, nginx's answered requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from stormlab_common import metric_names as names

SUCCESS = "success"


def sent_per_second(window: dict) -> float:
    """Attempts (first tries and retries) per second over an /stormlab/attempts window."""
    slots = window["slots"]
    if not slots:
        raise ValueError("the window holds no slot")
    return sum(first + retries for _, first, retries in slots) / (len(slots) * window["slot_seconds"])


def per_second_spread(window: dict) -> tuple[int, int]:
    """The fewest and most attempts sent in a whole second of the window: steady or not."""
    per_second = round(1 / window["slot_seconds"])
    slots = window["slots"]
    totals = [sum(first + retries for _, first, retries in slots[i:i + per_second])
              for i in range(0, len(slots) - per_second + 1, per_second)]
    if not totals:
        raise ValueError("the window is shorter than a second")
    return min(totals), max(totals)


DROPPED = "dropped arrivals"  # beside the outcomes: what a busy worker did not send


def worker_counts(metrics_text: str) -> dict[str, float]:
    """A worker's attempts so far by outcome, summed over policies and targets, and its
    arrivals dropped (``DROPPED``)."""
    found: dict[str, float] = {DROPPED: 0.0}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == names.CLIENT_ATTEMPTS:
                outcome = sample.labels[names.OUTCOME]
                found[outcome] = found.get(outcome, 0.0) + sample.value
            elif sample.name == names.CLIENT_DROPPED_ARRIVALS:
                found[DROPPED] += sample.value
    return found


@dataclass(frozen=True)
class Measured:
    """One case over its window: what the master counted, what each worker and the origin
    counted, and who had the CPU (in cores: 1.0 is one core busy)."""

    case: str
    where: str  # where the workers ran
    seconds: float
    sent_per_second: float  # the master's
    spread: tuple[int, int]  # per whole second, the master's
    per_worker: tuple[float, ...]  # attempts/s from each worker's own counter, in start order
    failed_share: float  # of the workers' attempts, those that did not succeed
    dropped_per_second: float  # arrivals the workers dropped, at their clients' in-flight bound
    answered_per_second: float  # the origin's count
    workers_cpu: float
    origin_cpu: float
    master_cpu: float
    machine_busy: float
    link_bytes_per_second: float  # both ways across the other host's link


@dataclass(frozen=True)
class WorkerRates:
    each: tuple[float, ...]  # attempts/s of each worker
    failed_share: float  # of all their attempts
    dropped_per_second: float  # all their dropped arrivals


def worker_rates(before: list[dict[str, float]], after: list[dict[str, float]],
                 seconds: float) -> WorkerRates:
    """From two readings of each worker's ``worker_counts``, ``seconds`` apart."""
    each, failed, every, dropped = [], 0.0, 0.0, 0.0
    for start, end in zip(before, after, strict=True):
        grew = {key: end[key] - start.get(key, 0.0) for key in end}
        dropped += grew.pop(DROPPED, 0.0)
        each.append(sum(grew.values()) / seconds)
        every += sum(grew.values())
        failed += sum(count for outcome, count in grew.items() if outcome != SUCCESS)
    return WorkerRates(tuple(each), failed / every if every else 0.0, dropped / seconds)


def rows(measured: list[Measured]) -> list[dict]:
    """The table's rows; the ratio is to the first case (one worker process)."""
    if not measured:
        return []
    first = measured[0].sent_per_second
    return [{
        "case": m.case,
        "workers": m.where,
        "attempts/s sent (master)": f"{m.sent_per_second:,.0f}",
        "vs (a)": f"{m.sent_per_second / first:.2f}x" if first else "-",
        "each worker (its counter)": " + ".join(f"{rate:,.0f}" for rate in m.per_worker),
        "per second, min-max": f"{m.spread[0]:,}-{m.spread[1]:,}",
        "answered by nginx /s": f"{m.answered_per_second:,.0f}",
        "failed": f"{m.failed_share:.1%}",
        "arrivals dropped /s": f"{m.dropped_per_second:,.0f}",
        "CPU, cores: workers / nginx / master": (f"{m.workers_cpu:.2f} / {m.origin_cpu:.2f} / "
                                                 f"{m.master_cpu:.2f}"),
        "machine busy, cores": f"{m.machine_busy:.2f}",
        "across the link, MB/s": f"{m.link_bytes_per_second / 1e6:.2f}",
    } for m in measured]
