"""A link's faults: the registry of fault types, and the chain a link applies."""

from __future__ import annotations

import random
import zlib
from typing import Any

from prometheus_client import Counter

from proxy.faults.base import ChunkDelay, ConnectionFault, Fault, RequestAction, RequestFault
from proxy.faults.http_error import HttpErrorFault
from proxy.faults.latency import LatencyFault
from proxy.faults.reset import ResetFault

FAULT_TYPES: dict[str, type[Fault]] = {cls.type: cls for cls in (LatencyFault, ResetFault, HttpErrorFault)}

__all__ = ["FAULT_TYPES", "FaultChain", "RequestAction"]


class FaultChain:
    """The faults on one link, asked in name order; each has its own seeded random stream so a
    run with the same seed makes the same choices."""

    def __init__(self, link: str, faults: dict[str, dict[str, Any]], seed: int | None,
                 injections: Counter):
        self._injections = injections
        self._link = link
        self.faults = [FAULT_TYPES[params["type"]](name, params, _rng(seed, link, name))
                       for name, params in sorted(faults.items())]
        self._connection = [f for f in self.faults if isinstance(f, ConnectionFault)]
        self._delays = [f for f in self.faults if isinstance(f, ChunkDelay)]
        self._requests = [f for f in self.faults
                          if isinstance(f, RequestFault) and f.acts_on_requests(f.params)]
        for fault in [*self._connection, *self._requests]:  # the counted ones, at 0 from the start
            injections.labels(link, fault.type)

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
