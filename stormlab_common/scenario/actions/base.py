"""What an operator action is: one small class, its parameters a dataclass of the
stormlab_common/model.py pattern (checked when the scenario loads, the ``do:`` key naming
the class), applied to the running lab when the timeline reaches it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Protocol

from stormlab_common.model import Meta, Name


class Lab(Protocol):
    """What an action may change: the calls experiments/lab.py offers (all over HTTP), and
    experiments/rehearsal.py on paper."""

    def patch_link(self, link: str, patch: dict) -> None: ...
    def patch_device(self, device: str, patch: dict) -> None: ...
    def patch_service(self, service: str, patch: dict) -> None: ...
    def set_client_count(self, count: int) -> None: ...
    def patch_clients(self, patch: dict) -> None: ...

    @property
    def client_count(self) -> int: ...


@dataclass(frozen=True, kw_only=True)
class Step:
    """An entry of ``timeline.actions``: when it runs and what it is called; each action's
    parameters extend it, with ``do`` naming the action."""

    at: Annotated[float, Meta(ge=0, description="seconds since the run started (scaled with the "
                                                "timeline)")]
    name: Name | None = None  # null: <do>-<position>, e.g. move-link-1


class Action:
    """``name``: what ``do:`` says; ``Params``: its parameters (a ``Step`` with ``do`` a
    Literal of ``name``). ``TARGET`` and ``PATCH`` name the parameters holding what the action
    changes and the patch it sends, for the paths of an offline check's problems (none: the
    action's own entry)."""

    name: ClassVar[str]
    Params: ClassVar[type]
    TARGET: ClassVar[str | None] = None
    PATCH: ClassVar[str | None] = None

    def __init__(self, params: Any, written: Mapping[str, Any] | None = None):
        self.params = params
        self.written = written or {}  # the entry as the file gives it, for describe(): no defaults

    def describe(self) -> str:
        """One line for the report's timeline and the console."""
        raise NotImplementedError

    def apply(self, lab: Lab) -> None:
        raise NotImplementedError
