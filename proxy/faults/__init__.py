"""A link's faults: the behaviour of each fault type, and the chain a link applies."""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter

from proxy.faults.base import ChunkDelay, ConnectionFault, Fault, RequestAction, RequestFault
from proxy.faults.http_error import HttpErrorFault
from proxy.faults.latency import LatencyFault
from proxy.faults.reset import ResetFault

# The behaviour of each fault type, by the contract class of its parameters.
BEHAVIOURS: dict[type, type[Fault]] = {cls.Params: cls for cls in (LatencyFault, ResetFault, HttpErrorFault)}

__all__ = ["BEHAVIOURS", "FaultChain", "RequestAction"]


class FaultChain:
    """The faults on one link, asked in name order; each has its own seeded random stream so a
    run with the same seed makes the same choices."""

    def __init__(self, link: str, faults: Mapping[str, Any], seed: int | None, injections: Counter):
        self._injections = injections
        self._link = link
        self.faults = [BEHAVIOURS[type(params)](name, params, _rng(seed, link, name))
                       for name, params in sorted(faults.items())]
        self._connection = [f for f in self.faults if isinstance(f, ConnectionFault)]
        self._delays = [f for f in self.faults if isinstance(f, ChunkDelay)]
        self._requests = [f for f in self.faults if isinstance(f, RequestFault) and f.params.acts_on_requests]
        for fault in [*self._connection, *self._requests]:  # the counted ones, at 0 from the start
            injections.labels(link, fault.type)

    @property
    def delays(self) -> bool:
        """True if some fault delays chunks (else ``delay_seconds`` is always 0)."""
        return bool(self._delays)

    def resets_connection(self) -> bool:
        for fault in self._connection:
            if fault.resets_connection():
                self._count(fault)
                return True
        return False

    def delay_seconds(self, direction: str) -> float:
        if not self._delays:
            return 0.0
        return sum(fault.delay_seconds(direction) for fault in self._delays)

    def on_request(self, method: str, target: str) -> RequestAction | None:
        for fault in self._requests:
            action = fault.on_request(method, target)
            if action is not None:
                self._count(fault)
                return action
        return None

    def _count(self, fault: Fault) -> None:
        self._injections.labels(self._link, fault.type).inc()


def _rng(seed: int | None, link: str, fault: str) -> random.Random:
    if seed is None:
        return random.Random()
    return random.Random(zlib.crc32(f"{seed}/{link}/{fault}".encode()))
