"""Move a link to another device: internal DNS taken off the congested path, as at 09:28."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stormlab_common.model import Name
from stormlab_common.scenario.actions.base import Action, Lab, Step


@dataclass(frozen=True, kw_only=True)
class MoveLinkParams(Step):
    do: Literal["move_link"]
    link: Name
    device: Name


class MoveLink(Action):
    name = "move_link"
    Params = MoveLinkParams
    TARGET = "link"  # its patch, {device: ...}, is written as the action's own parameter

    def describe(self) -> str:
        return f"move link {self.params.link} to device {self.params.device}"

    def apply(self, lab: Lab) -> None:
        lab.patch_link(self.params.link, {"device": self.params.device})
