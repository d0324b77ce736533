"""A token bucket: the shape of every shared capacity on the device (bytes, new connections).

Pure arithmetic: the caller passes the monotonic time, so the bucket can be tested exactly
with a fake clock and shared by every connection on a device without locks (one event loop).
"""

from __future__ import annotations

# Float arithmetic (and a clock's finite precision at high rates) can leave a bucket a hair
# short right after waiting exactly the time it named. A wait shorter than this is below any
# timer's resolution: grant now and carry the tiny debt (the level may dip below zero by less
# than this much time's worth of tokens, and repays it before the next grant).
GRANULARITY_SECONDS = 1e-6


class TokenBucket:
    """Holds at most ``burst`` tokens, refilled at ``rate`` tokens per second; starts full."""

    def __init__(self, rate: float, burst: float, now: float):
        if rate <= 0 or burst <= 0:
            raise ValueError(f"rate and burst must be positive, got rate={rate}, burst={burst}")
        self.rate = rate
        self.burst = burst
        self._level = burst
        self._updated = now

    def level(self, now: float) -> float:
        self._refill(now)
        return self._level

    def take(self, amount: float, now: float) -> float:
        """Take ``amount`` tokens and return 0 if the bucket has them; otherwise take nothing
        and return the seconds until it will have them (at the current rate)."""
        if amount > self.burst:
            raise ValueError(f"cannot take {amount} tokens from a bucket holding at most {self.burst}")
        self._refill(now)
        wait = (amount - self._level) / self.rate
        if wait < GRANULARITY_SECONDS:
            self._level -= amount
            return 0.0
        return wait

    def charge(self, amount: float, now: float) -> None:
        """Spend ``amount`` tokens on other work, now, even into debt: takes wait until it is
        repaid. The debt is bounded by one burst, so a flood of charges delays the bucket's
        takers (it takes all the rate) without building a backlog that outlives the flood."""
        self._refill(now)
        self._level = max(self._level - amount, -self.burst)

    def reconfigure(self, rate: float, burst: float, now: float) -> None:
        """Change rate and burst from ``now`` on; tokens earned at the old rate stay earned."""
        if rate <= 0 or burst <= 0:
            raise ValueError(f"rate and burst must be positive, got rate={rate}, burst={burst}")
        self._refill(now)
        self.rate = rate
        self.burst = burst
        self._level = min(self._level, burst)

    def _refill(self, now: float) -> None:
        if now > self._updated:  # a clock that stands still or steps back earns nothing
            self._level = min(self.burst, self._level + (now - self._updated) * self.rate)
            self._updated = now


def bucket_for(current: TokenBucket | None, rate: float | None, burst: float,
               now: float) -> TokenBucket | None:
    """The bucket for a limit that may be off (rate None): none when off, a full new one when
    it is switched on, else ``current`` retuned (keeping what it has earned)."""
    if rate is None:
        return None
    if current is None:
        return TokenBucket(rate, burst, now)
    current.reconfigure(rate, burst, now)
    return current
