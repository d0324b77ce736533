"""How the attempts counted by every worker reach the one timeline the master serves: locust's
own messages, since the experiment runner reaches only the master's web port.

- Every ``SHIP_SECONDS`` a worker sends ``{"through": t, "slots": [[index, first, retries],
  ...]}``: the slots that have ended since its last message, and ``t``, the time before which
  every slot of its has been sent. It sends even with no slot, so the master knows it is
  counted up to then.
- The master adds the slots to its timeline and keeps each worker's last ``through``: a
  window is complete once every connected worker's has passed its end.

A local runner records straight into the timeline it serves, so it is counted up to now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import gevent

from loadgen.attempt_timeline import AttemptTimeline

SLOTS = "stormlab_attempt_slots"
SHIP_SECONDS = 0.5

log = logging.getLogger("loadgen")


class Master:
    """``connected()``: the ids of the connected workers; None for a local runner."""

    def __init__(self, runner, timeline: AttemptTimeline, connected: Callable[[], Iterable[str]] | None):
        self._timeline, self._connected = timeline, connected
        self._through: dict[str, float] = {}
        if connected is not None:
            runner.register_message(SLOTS, self._on_slots)

    def shipped(self) -> dict[str, float | None]:
        """The time through which each process running clients is counted; None for a worker
        that has not reported yet."""
        if self._connected is None:
            return {"local": self._timeline.closed_through()}
        return {worker: self._through.get(worker) for worker in self._connected()}

    def _on_slots(self, msg, **_):
        # Logged, never raised: locust 2.12 runs this on its message loop, which an exception
        # would end (see config_sync). Checked whole before merging, so a bad message adds nothing.
        try:
            through = float(msg.data["through"])
            slots = [(int(index), int(first), int(retries)) for index, first, retries in msg.data["slots"]]
        except Exception:
            log.exception("ignored attempt slots from worker %s: %r", msg.node_id, msg.data)
            return
        self._timeline.merge(slots)
        self._through[msg.node_id] = max(through, self._through.get(msg.node_id, through))


class Worker:
    def __init__(self, runner, timeline: AttemptTimeline, sleep: Callable[[float], None] = gevent.sleep):
        self._runner, self._timeline, self._sleep = runner, timeline, sleep
        self._failing = False

    def start(self) -> gevent.Greenlet:
        return gevent.spawn(self._ship_forever)

    def ship(self) -> None:
        # ``through`` is read first: a slot ending in between is sent a message early, never late
        through = self._timeline.closed_through()
        slots = self._timeline.take_closed()
        try:
            self._runner.send_message(SLOTS, {"through": through, "slots": slots})
        except Exception:
            self._timeline.merge(slots)  # back, to go with the next message
            raise

    def _ship_forever(self) -> None:
        while True:
            self._sleep(SHIP_SECONDS)
            try:
                self.ship()
                self._failing = False
            except Exception:  # a lost master ends the worker anyway; until then, keep trying
                if not self._failing:
                    log.exception("could not send attempt slots to the master; retrying every %ss",
                                  SHIP_SECONDS)
                self._failing = True
