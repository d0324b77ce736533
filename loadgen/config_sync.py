"""How a live config change reaches every process running clients: locust's own messages
between its master and its workers (a local runner plays both parts, to itself).

- The master sends ``{generation, patch}`` to every worker on each change, and again before
  each new run's spawn messages; it answers a worker that asks when it starts.
- A worker rebuilds the config from its own base and the patch, reconfigures its clients and
  acknowledges with the generation it now runs; the master keeps the last one per worker.

locust delivers the master's messages to a worker in order, and the worker handles them one
at a time: a config sent before a spawn message is applied before those users start. The one
gap is a worker joining a run in progress, which may be handed users before its question is
answered: its first clients wait (bounded) for the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import gevent.event

from loadgen.live_config import LiveConfig
from loadgen.runtime import Runtime
from stormlab_common.config import ConfigError

CONFIG, APPLIED, ASK = "stormlab_config", "stormlab_config_applied", "stormlab_config_ask"
FIRST_CONFIG_TIMEOUT = 10.0  # the answer takes milliseconds; beyond this the master cannot answer

log = logging.getLogger("loadgen")


class Master:
    """``connected()``: the ids of the connected workers; None for a local runner."""

    def __init__(self, runner, live: LiveConfig, connected: Callable[[], Iterable[str]] | None):
        self._runner, self._live, self._connected = runner, live, connected
        self._applied: dict[str, int] = {}
        runner.register_message(APPLIED, self._on_applied)
        if connected is not None:
            runner.register_message(ASK, self._on_ask)

    def publish(self, **_event) -> None:
        self._runner.send_message(CONFIG, self._live.message())

    def workers(self) -> dict[str, int]:
        """The generation each process running clients has applied. One that has not reported
        yet runs its base config: generation 0."""
        if self._connected is None:
            return dict(self._applied)
        return {worker: self._applied.get(worker, 0) for worker in self._connected()}

    def _on_applied(self, msg, **_):
        self._applied[msg.node_id] = msg.data["generation"]

    def _on_ask(self, msg, **_):
        self._runner.send_message(CONFIG, self._live.message(), client_id=msg.node_id)


class Worker:
    """``ask``: a worker process asks its master for the current config; a local runner
    already has it."""

    def __init__(self, runner, live: LiveConfig, runtime: Runtime, ask: bool):
        self._runner, self._live, self._runtime = runner, live, runtime
        self._applied = 0  # the base
        self._first = gevent.event.Event()
        runner.register_message(CONFIG, self._on_config)
        if ask:
            runner.send_message(ASK, None)
        else:
            self._first.set()
            self._acknowledge()

    def wait_for_first_config(self) -> None:
        """Until the master's current config is applied, so no client starts on a stale one."""
        if not self._first.wait(FIRST_CONFIG_TIMEOUT):
            log.warning("no config from the master after %ss; clients start on the base config",
                        FIRST_CONFIG_TIMEOUT)
            self._first.set()

    def _on_config(self, msg, **_):
        # A bad patch or a bug is logged, never raised: locust 2.12 runs this on its message
        # loop, which an exception would end (and with it the worker's link to its master).
        try:
            generation = msg.data["generation"]
            if generation != self._applied:  # the same again (a new run): nothing to change
                self._runtime.reconfigure(self._live.adopt(generation, msg.data["patch"]))
                self._applied = generation
        except ConfigError as exc:
            log.error("ignored config %s from the master: %s", msg.data.get("generation"), exc)
        except Exception:
            log.exception("failed to apply config %s from the master", msg.data)
        self._first.set()
        self._acknowledge()

    def _acknowledge(self) -> None:
        self._runner.send_message(APPLIED, {"generation": self._applied})
