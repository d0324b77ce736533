"""One direction of a device's bandwidth, as a fluid: responses share the rate left over by
the attempts' setup work, in arrival order.

The proxy charges every arriving attempt ``setup_cost_bytes`` to the same bucket that
forwards bytes (proxy/token_bucket.py, ``charge``): setup work at a rate ``s`` leaves
``B - s`` for forwarding, and none once ``s >= B``. Here ``s`` is the charges' rate over
the last second (an exponential average), and forwarding is one FIFO server at what is left.
"""

from __future__ import annotations

import math

from model.inputs import Bandwidth

AVERAGE_SECONDS = 1.0
LEAST_SHARE = 0.01  # what forwarding still gets when setup work takes it all (between charges)


class Shaper:
    def __init__(self, spec: Bandwidth):
        self.rate = spec.bytes_per_second
        self.charged = 0.0  # bytes, decayed
        self.charged_at = 0.0
        self.busy_until = 0.0

    def reconfigure(self, spec: Bandwidth) -> None:
        self.rate = spec.bytes_per_second

    def charge(self, now: float, amount: float) -> None:
        if self.rate is None:
            return
        self.charged = self.charged * math.exp((self.charged_at - now) / AVERAGE_SECONDS) + amount
        self.charged_at = now

    def charge_rate(self, now: float) -> float:
        return self.charged * math.exp((self.charged_at - now) / AVERAGE_SECONDS) / AVERAGE_SECONDS

    def deliver(self, now: float, size: float, give_up: float) -> float:
        """When ``size`` bytes handed over at ``now`` are through. Their client leaves at
        ``give_up``; the proxy then drops what it still holds of them, so they take the
        bandwidth only until then."""
        if self.rate is None or size <= 0:
            return now
        left = max(self.rate * LEAST_SHARE, self.rate - self.charge_rate(now))
        start = max(now, self.busy_until)
        done = start + size / left
        if start < give_up:
            self.busy_until = min(done, give_up)
        return done
