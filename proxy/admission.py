"""The device's connection table: how many connections it holds and how fast it sets new ones
up (the NAT work the real devices were overwhelmed by), with a bounded backlog for attempts
waiting for either. Its limits are the contract's ConnectionLimits
(stormlab_common/contracts/proxy.py).
"""

from __future__ import annotations

import asyncio
from collections import deque

from proxy.token_bucket import bucket_for
from stormlab_common.contracts.proxy import ConnectionLimits, effective_new_burst


class Refused(Exception):
    """The device would not take the connection; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ConnectionTable:
    def __init__(self, limits: ConnectionLimits, loop: asyncio.AbstractEventLoop | None = None):
        self._loop = loop or asyncio.get_event_loop()
        self.limits = limits
        self.active = 0
        # Waiters in arrival order. Finished ones (timed out, gone) are dropped lazily when they
        # reach the head: removing each from the middle would cost O(backlog) in a surge.
        self._waiting: deque[asyncio.Future] = deque()
        self._live_waiters = 0
        self._bucket = bucket_for(None, limits.new_per_second, effective_new_burst(limits), self._loop.time())
        self._wakeup: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        return self._live_waiters

    def try_admit(self) -> bool:
        """Take a slot at once if no one is waiting and the table has room and a setup token
        (the common case, with no coroutine to run); False leaves the attempt to ``admit``."""
        if self._live_waiters == 0 and self._has_room() and self._take_setup_token() == 0:
            self.active += 1
            return True
        return False

    async def admit(self) -> None:
        """Return once the connection holds a slot in the table; raise Refused otherwise.

        Attempts are served first come, first served: a newcomer never overtakes a waiter.
        """
        if self.try_admit():
            return
        if self._live_waiters >= self.limits.backlog:
            raise Refused("backlog_full")
        future = self._loop.create_future()
        self._waiting.append(future)
        self._live_waiters += 1
        expiry = self._loop.call_later(self.limits.backlog_timeout_seconds, self._expire, future)
        self._pump()
        try:
            await future
        except asyncio.CancelledError:
            # The client left while waiting; if the slot was granted meanwhile, give it back.
            if future.done() and not future.cancelled() and future.exception() is None:
                self.release()
            raise
        finally:
            expiry.cancel()
            self._live_waiters -= 1

    def release(self) -> None:
        self.active -= 1
        self._pump()

    def reconfigure(self, limits: ConnectionLimits) -> None:
        self._bucket = bucket_for(self._bucket, limits.new_per_second, effective_new_burst(limits),
                                  self._loop.time())
        self.limits = limits
        self._pump()

    def _has_room(self) -> bool:
        return self.limits.max_active is None or self.active < self.limits.max_active

    def _take_setup_token(self) -> float:
        return 0.0 if self._bucket is None else self._bucket.take(1, self._loop.time())

    def _pump(self) -> None:
        """Admit waiters, oldest first, while the table has room and setup tokens last."""
        while self._waiting:
            future = self._waiting[0]
            if future.done():
                self._waiting.popleft()
                continue
            if not self._has_room():
                return  # a release() will pump again
            wait = self._take_setup_token()
            if wait > 0:
                if self._wakeup is None:
                    self._wakeup = self._loop.call_later(wait, self._wake)
                return
            self._waiting.popleft()
            self.active += 1
            future.set_result(None)

    def _wake(self) -> None:
        self._wakeup = None
        self._pump()

    def _expire(self, future: asyncio.Future) -> None:
        if not future.done():
            future.set_exception(Refused("backlog_timeout"))
