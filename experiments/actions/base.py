"""What an operator action is: one small class, its parameters checked by its SCHEMA when
the scenario loads, applied to the running lab when the timeline reaches it."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol


class Lab(Protocol):
    """What an action may change: the calls experiments/lab.py offers (all over HTTP)."""

    def patch_link(self, link: str, patch: dict) -> None: ...
    def patch_device(self, device: str, patch: dict) -> None: ...
    def patch_service(self, service: str, patch: dict) -> None: ...
    def set_client_count(self, count: int) -> None: ...
    def patch_clients(self, patch: dict) -> None: ...

    @property
    def client_count(self) -> int: ...


class Action:
    name: ClassVar[str]
    SCHEMA: ClassVar[dict[str, Any]] = {"type": "object", "additionalProperties": False, "properties": {}}

    def __init__(self, params: dict[str, Any]):
        self.params = params

    def describe(self) -> str:
        """One line for the report's timeline and the console."""
        raise NotImplementedError

    def apply(self, lab: Lab) -> None:
        raise NotImplementedError
