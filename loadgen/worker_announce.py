"""How the master learns where each worker's client metrics can be scraped, and how a worker
learns that its master is still there: locust's own messages, as loadgen/timeline_sync.py's.

- Every ``ANNOUNCE_SECONDS`` a worker sends ``{"metrics": "host:port"}``, the address it was
  told to advertise (``STORMLAB_METRICS_ADVERTISE``), or ``{"metrics": null}``: the stack's own
  workers are found by Docker's DNS and advertise nothing, so none is scraped twice.
- The master records it (loadgen/worker_registry.py) and answers the worker, if it counts it
  as connected.
- A worker placed elsewhere (``STORMLAB_METRICS_ADVERTISE`` or ``STORMLAB_DEVICE_HOST`` set, as
  tools/worker.sh does) that has had no answer for ``MASTER_SILENCE_SECONDS`` stops. Debian's
  locust 2.12 worker never notices a master that vanished without saying quit (killed, its
  host gone, a new master that does not know it): on another host such a worker would
  otherwise idle on, unbounded, for good. The stack's own workers stop with the stack.

A local runner plays both parts, to itself, with no master to lose.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable

import gevent

from loadgen.worker_registry import WorkerRegistry

ANNOUNCE, ANSWER = "stormlab_worker_announce", "stormlab_worker_heard"
ANNOUNCE_SECONDS = 2.0
# locust's master gives up on a silent worker after 60 heartbeats of 1 s; the same, the other way
MASTER_SILENCE_SECONDS = 60.0

_ADDRESS = re.compile(r"(?P<host>[A-Za-z0-9._-]+):(?P<port>[0-9]{1,5})")
ADDRESS_EXPECTED = ("expected host:port, the address Prometheus scrapes this worker's metrics at "
                    "(a host name or IPv4 address, a port 1-65535)")

log = logging.getLogger("loadgen")


def address_problem(address: str) -> str | None:
    """What is wrong with ``address`` as an advertised ``host:port``, or None."""
    parts = _ADDRESS.fullmatch(address)
    if parts is None or not 1 <= int(parts["port"]) <= 65535:
        return f"{ADDRESS_EXPECTED}, got {address!r}"
    return None


class Master:
    """``connected()``: the ids of the connected workers; None for a local runner."""

    def __init__(self, runner, registry: WorkerRegistry, connected: Callable[[], Iterable[str]] | None):
        self._runner, self._registry, self._connected = runner, registry, connected
        runner.register_message(ANNOUNCE, self._on_announce)

    def _on_announce(self, msg, **_):
        # Logged, never raised: locust 2.12 runs this on its message loop, which an exception
        # would end (see config_sync).
        try:
            metrics = msg.data["metrics"]
            if metrics is not None and address_problem(metrics):
                raise ValueError(address_problem(metrics))
            if self._connected is not None and msg.node_id not in set(self._connected()):
                return  # locust 2.12 hands on messages of workers it does not know: left unanswered
            self._registry.heard(msg.node_id, metrics)
            if self._connected is not None:
                self._runner.send_message(ANSWER, None, client_id=msg.node_id)
        except Exception:
            log.exception("ignored the announcement of worker %s: %r", msg.node_id, msg.data)


class Worker:
    """``watch_master``: stop this worker when its master has gone silent (a worker process;
    a local runner has no master to lose)."""

    def __init__(self, runner, metrics: str | None, *, watch_master: bool,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = gevent.sleep):
        self._runner, self._metrics, self._watch = runner, metrics, watch_master
        self._clock, self._sleep = clock, sleep
        self._answered_at = clock()  # the silence counts from the start
        self._joined, self._failing = False, False
        if watch_master:
            runner.register_message(ANSWER, self._on_answer)

    def start(self) -> gevent.Greenlet:
        return gevent.spawn(self._announce_forever)

    def announce(self) -> None:
        self._runner.send_message(ANNOUNCE, {"metrics": self._metrics})

    def master_silent(self) -> bool:
        return self._watch and self._clock() - self._answered_at > MASTER_SILENCE_SECONDS

    def _on_answer(self, msg, **_):
        self._answered_at = self._clock()
        if not self._joined:  # tools/worker.sh waits for this line
            log.info("joined the master: it answered this worker's announcement (metrics advertised: %s)",
                     self._metrics or "none")
            self._joined = True

    def _announce_forever(self) -> None:
        while True:
            try:
                self.announce()
                self._failing = False
            except Exception:  # a send that fails now may work later; the silence bound ends it
                if not self._failing:
                    log.exception("could not announce this worker to the master; retrying every %ss",
                                  ANNOUNCE_SECONDS)
                self._failing = True
            self._sleep(ANNOUNCE_SECONDS)
            if self.master_silent():
                log.error("no answer from the master for %.0f s: it is gone; stopping this worker",
                          MASTER_SILENCE_SECONDS)
                self._runner.quit()
                return
