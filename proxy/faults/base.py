"""What a fault is: one small class per fault, configured by a JSON Schema of its own.

A fault has one or more of three optional abilities, each a small interface of its own:
- ConnectionFault: may reset a new connection.
- ChunkDelay: delays the chunks crossing the link in some direction.
- RequestFault: may answer or reset a single HTTP request (links with protocol http).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

DIRECTIONS = ["upstream", "downstream", "both"]


class Fault:
    type: ClassVar[str]
    SCHEMA: ClassVar[dict[str, Any]]

    def __init__(self, name: str, params: dict[str, Any], rng: random.Random):
        self.name = name
        self.params = params
        self.rng = rng

    @classmethod
    def acts_on_requests(cls, params: dict[str, Any]) -> bool:
        """True if, with these params, it acts on HTTP requests (its link needs protocol http)."""
        return False

    def applies_to(self, direction: str) -> bool:
        wanted = self.params.get("direction", "both")
        return wanted in ("both", direction)

    def fires(self) -> bool:
        return self.rng.random() < self.params["probability"]


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
    @classmethod
    def acts_on_requests(cls, params: dict[str, Any]) -> bool:
        return True

    def on_request(self, method: str, target: str) -> RequestAction | None:
        """Return an action to take instead of forwarding the request, or None to forward it."""
        raise NotImplementedError


def probability_schema(description: str) -> dict[str, Any]:
    return {"type": "number", "minimum": 0, "maximum": 1, "description": description}
