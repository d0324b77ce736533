"""The device's connection handling, as proxy/admission.py does it, decided at each attempt's
arrival: a token bucket of setups (rate, burst), a FIFO backlog of bounded size whose
entries are turned away after ``backlog_timeout``, and a connection table.

The backlog is FIFO and every entry has the same timeout, so an arrival's fate is known the
moment it arrives: it is set up when the bucket next has a token after everything ahead of
it that will be set up (entries ahead that time out never take one), or turned away at
``arrival + backlog_timeout`` if that comes first. The device cannot tell that a waiting
client gave up: an attempt set up after its client left is a setup wasted.
"""

from __future__ import annotations

import heapq

from model.inputs import DeviceInput
from model.shaper import Shaper

CLOSE_SECONDS = 0.005  # an abandoned connection is closed this soon after it is set up
EPSILON = 1e-9  # seconds: sums of 1/rate drift by less


class Device:
    def __init__(self, spec: DeviceInput, name: str = "device"):
        self.spec = spec
        self.setups_key = f"setups:{name}"
        self.rate = spec.setups_per_second
        self.burst = spec.setup_burst
        self.level = spec.setup_burst  # tokens right after the last setup
        self.last = 0.0  # when the last setup happened
        self.waiting: list[float] = []  # when each entry in the backlog leaves it (heap)
        self.closes: list[float] = []  # when each open connection closes (heap)
        self.pooled = 0  # kept-alive connections, open until their client drops them
        self.down = Shaper(spec.downstream)
        self.up = Shaper(spec.upstream)

    def reconfigure(self, spec: DeviceInput, now: float) -> None:
        """New limits from ``now``; setups already decided keep their times."""
        if now > self.last and self.rate:
            self.level = min(self.burst, self.level + (now - self.last) * self.rate)
            self.last = now
        self.spec, self.rate, self.burst = spec, spec.setups_per_second, spec.setup_burst
        self.level = min(self.level, self.burst)
        self.down.reconfigure(spec.downstream)
        self.up.reconfigure(spec.upstream)

    def connect(self, now: float) -> tuple[float, bool]:
        """An attempt arrives at ``now``: (when it is set up, True) or (when it is turned
        away, False). Its setup work is charged to the bandwidth either way."""
        spec = self.spec
        if spec.setup_cost_bytes:
            self.down.charge(now, spec.setup_cost_bytes)
            self.up.charge(now, spec.setup_cost_bytes)
        at = now
        rate = self.rate
        if rate:
            need = (1.0 - self.level) / rate if self.level < 1.0 else 0.0
            at = max(now, self.last + need)
        if spec.max_active is not None:
            closes = self.closes
            while closes and closes[0] <= at:
                heapq.heappop(closes)
            if len(closes) + self.pooled >= spec.max_active:
                if not closes:
                    return now + spec.backlog_timeout, False
                at = max(at, heapq.heappop(closes))
        if at > now:
            waiting = self.waiting
            while waiting and waiting[0] <= now:
                heapq.heappop(waiting)
            if len(waiting) >= spec.backlog:
                return now, False  # backlog full: refused at once
            if at - now > spec.backlog_timeout + EPSILON:
                heapq.heappush(waiting, now + spec.backlog_timeout)
                return now + spec.backlog_timeout, False
            heapq.heappush(waiting, at)
        if rate:
            self.level = min(self.burst, self.level + (at - self.last) * rate) - 1.0
            self.last = at
        return at, True

    def hold(self, until: float) -> None:
        """A connection set up now stays in the table until ``until``."""
        if self.spec.max_active is not None:
            heapq.heappush(self.closes, until)
