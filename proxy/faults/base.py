"""What a fault is: one small class per fault, taking its typed parameters
(stormlab_common/contracts/proxy_faults.py says what each type accepts).

A fault has one or more of three optional abilities, each a small interface of its own:
- ConnectionFault: may reset a new connection.
- ChunkDelay: delays the chunks crossing the link in some direction.
- RequestFault: may answer or reset a single HTTP request (links with protocol http).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar


class Fault:
    Params: ClassVar[type]  # the contract dataclass of its parameters

    def __init__(self, name: str, params: Any, rng: random.Random):
        self.name = name
        self.params = params
        self.rng = rng

    @property
    def type(self) -> str:
        return self.params.type

    def applies_to(self, direction: str) -> bool:
        return self.params.direction in ("both", direction)

    def fires(self) -> bool:
        return self.rng.random() < self.params.probability


class ConnectionFault(Fault):
    def resets_connection(self) -> bool:
        raise NotImplementedError


class ChunkDelay(Fault):
    def delay_seconds(self, direction: str) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class RequestAction:
    """What a RequestFault does to one request: answer it with ``response``, or reset."""

    response: bytes | None = None
    reset: bool = False


class RequestFault(Fault):
    def on_request(self, method: str, target: str) -> RequestAction | None:
        """Return an action to take instead of forwarding the request, or None to forward it."""
        raise NotImplementedError
