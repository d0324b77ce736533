"""This process's cap on attempts per second.

A safety, not a model: a naive client whose attempts fail at once (a refused connection)
would otherwise retry as fast as the CPU allows, and the 2-core machine, not the device,
would become the bottleneck. Attempts beyond the cap wait (a short burst is allowed), and
the wait is counted, so an experiment can tell when the generator held the load back.
"""

from __future__ import annotations

from collections.abc import Callable

BURST_SECONDS = 0.1


class AttemptCap:
    def __init__(self, per_second: float, clock: Callable[[], float], sleep: Callable[[float], None],
                 on_wait: Callable[[float], None] = lambda seconds: None):
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._next_free = clock()  # when the next attempt may go without waiting

    def acquire(self) -> None:
        now = self._clock()
        # idle time earns at most a short burst of attempts, never an unbounded credit
        self._next_free = max(self._next_free, now - BURST_SECONDS)
        wait = self._next_free - now
        self._next_free += self._interval
        if wait > 0:
            self._on_wait(wait)
            self._sleep(wait)
