"""The running experiment's state as Prometheus metrics, for the dashboards.

The runner is a batch job on the host, so it publishes the standard way for batch jobs: it
keeps the metrics on a registry of its own and pushes them to the stack's Pushgateway, which
Prometheus scrapes (job ``experiment``, ``honor_labels``). One group, job
``stormlab_experiment``, replaced whole at every push: the latest run's state, which stays
there after the run (nothing is deleted), so a dashboard shows how the last run ended.

Pushing never fails or slows a run: a background thread does it (and reads the live goodput
from Prometheus) with short timeouts; the timeline only hands it the latest state. Pushes are
throttled to one per ``interval`` seconds, plus one on every phase change and one at the end.
A missing or unreachable Pushgateway is noted once in the run's notes, then left alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from experiments.clients.prometheus import PrometheusClient
from stormlab_common import metric_names as names
from stormlab_common.queries import BY_NAME

if TYPE_CHECKING:
    from experiments.run_record import RunRecord

JOB = "stormlab_experiment"
PHASES = ("warmup", "before", "trigger", "after", "action", "end")
VERDICTS = ("pending", "stable", "recovered", "metastable", "failed", "interrupted")
MEASURED = ("before", "trigger", "after", "action")  # phases whose live goodput is read
PUSH_INTERVAL = 2.0
PUSH_TIMEOUT = 1.5


def phase_of(timeline_phase: str, elapsed: float, warmup: float) -> str:
    """The timeline clock's phase name (experiments/timeline.py) as one of ``PHASES``."""
    if timeline_phase in ("starting", "baseline"):
        return "warmup" if elapsed < warmup else "before"
    if timeline_phase.startswith("trigger"):
        return "trigger"
    if timeline_phase == "after the trigger":
        return "after"
    if timeline_phase == "done":
        return "end"
    return "action"  # "after <action name>"


def verdict_of(record: RunRecord) -> str:
    """The verdict a finished run publishes: the judged one, else how the run ended."""
    if record.status == "complete" and record.verdict is not None:
        return record.verdict.verdict
    return "interrupted" if record.status == "interrupted" else "failed"


class ExperimentState:
    """One run's state, pushed to ``gateway`` (None: no Pushgateway, nothing is pushed).

    ``tick(elapsed, timeline_phase)`` is the timeline clock's callback; ``finish(verdict)``
    publishes the end and waits (at most a few seconds) for that last push. ``goodput`` reads
    the live goodput (req/s, or None); its mean over the ``before`` phase is the baseline.
    """

    def __init__(
        self,
        scenario: str,
        gateway: str | None,
        *,
        warmup: float = 0.0,
        goodput: Callable[[], float | None] | None = None,
        notes: list[str] | None = None,
        interval: float = PUSH_INTERVAL,
        timeout: float = PUSH_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.scenario, self.gateway, self.warmup = scenario, gateway, warmup
        self.interval, self.timeout, self.clock = interval, timeout, clock
        self.notes = notes if notes is not None else []
        self.pushes = 0
        self._goodput = goodput
        self._goodput_noted = False
        self._baseline: list[float] = []
        self._failed = gateway is None
        self.registry = CollectorRegistry()
        labels = [names.SCENARIO]
        self._phase = Gauge(
            names.EXPERIMENT_PHASE, "1 for the experiment's current phase, 0 for the others",
            [*labels, names.PHASE], registry=self.registry,
        )
        self._verdict = Gauge(
            names.EXPERIMENT_VERDICT, "1 for the experiment's verdict (pending while it runs)",
            [*labels, names.VERDICT], registry=self.registry,
        )
        self._ratio = Gauge(
            names.EXPERIMENT_GOODPUT_RATIO, "live goodput / mean goodput before the trigger",
            labels, registry=self.registry,
        )
        self._elapsed = Gauge(
            names.EXPERIMENT_ELAPSED, "seconds since the experiment's timeline started",
            labels, registry=self.registry,
        )
        self._ratio.labels(scenario).set(float("nan"))
        self._wanted = {"phase": "warmup", "verdict": "pending", "elapsed": 0.0}
        self._cond = threading.Condition()
        self._requested = self._handled = 0
        self._closing = False
        self._last_request = clock()
        if gateway is None:
            self.notes.append("experiment state not published: the stack has no Pushgateway (port 9091)")
            return
        threading.Thread(target=self._run, name="experiment-state", daemon=True).start()
        with self._cond:
            self._request()  # the run has begun: its scenario, phase warmup, verdict pending

    @classmethod
    def for_run(cls, scenario, lab, notes: list[str], rate_window: str) -> ExperimentState:
        """The state of ``scenario`` run on ``lab``, noting problems in ``notes`` (run.json's)."""
        promql = BY_NAME["goodput"].expression(rate_window)
        # a client of its own: this one is used from the pushing thread, the lab's from the run's
        prometheus = PrometheusClient(lab.prometheus.url, timeout=PUSH_TIMEOUT)
        return cls(
            scenario.name,
            lab.pushgateway,
            warmup=scenario.warmup,
            goodput=lambda: prometheus.query(promql),
            notes=notes,
        )

    def tick(self, elapsed: float, timeline_phase: str) -> None:
        phase = phase_of(timeline_phase, elapsed, self.warmup)
        with self._cond:
            changed = phase != self._wanted["phase"]
            self._wanted.update(phase=phase, elapsed=elapsed)
            if changed or self.clock() - self._last_request >= self.interval:
                self._request()

    def finish(self, verdict: str, wait: float | None = None) -> None:
        """The run is over: publish ``verdict`` with phase ``end``, then stop pushing."""
        with self._cond:
            self._wanted.update(phase="end", verdict=verdict)
            self._closing = True
            self._request()
        self.flush(2 * self.timeout + 1 if wait is None else wait)

    def flush(self, timeout: float) -> bool:
        """Wait until every requested push is done (or skipped); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._handled >= self._requested, timeout)

    def _request(self) -> None:  # with self._cond held
        if self._failed:
            return
        self._requested += 1
        self._last_request = self.clock()
        self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._requested > self._handled)
                generation, wanted = self._requested, dict(self._wanted)
            self._publish(wanted)
            with self._cond:
                self._handled = generation
                self._cond.notify_all()
                if self._closing and self._handled >= self._requested:
                    return

    def _publish(self, wanted: dict) -> None:
        if self._failed:
            return
        try:
            scenario = self.scenario
            ratio = self._goodput_ratio(wanted["phase"]) if wanted["phase"] in MEASURED else None
            if ratio is not None:
                self._ratio.labels(scenario).set(ratio)
            for phase in PHASES:
                self._phase.labels(scenario, phase).set(1 if phase == wanted["phase"] else 0)
            for verdict in dict.fromkeys((*VERDICTS, wanted["verdict"])):
                self._verdict.labels(scenario, verdict).set(1 if verdict == wanted["verdict"] else 0)
            self._elapsed.labels(scenario).set(round(wanted["elapsed"], 3))
            push_to_gateway(self.gateway, job=JOB, registry=self.registry, timeout=self.timeout)
            self.pushes += 1
        except Exception as exc:
            self._failed = True
            self.notes.append(
                f"experiment state not pushed to the Pushgateway at {self.gateway} "
                f"({type(exc).__name__}: {exc}); not pushed again this run"
            )

    def _goodput_ratio(self, phase: str) -> float | None:
        """Live goodput / its mean before the trigger: NaN without a baseline or without goodput
        series; None (the gauge keeps its value) when Prometheus could not be read."""
        if self._goodput is None:
            return float("nan")
        try:
            live = self._goodput()
        except Exception as exc:
            if not self._goodput_noted:
                self._goodput_noted = True
                self.notes.append(f"experiment state: live goodput not read ({type(exc).__name__}: {exc})")
            return None
        if live is None:
            return float("nan")
        if phase == "before":
            self._baseline.append(live)
        baseline = sum(self._baseline) / len(self._baseline) if self._baseline else 0.0
        return live / baseline if baseline > 0 else float("nan")
