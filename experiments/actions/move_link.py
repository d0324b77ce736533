"""Move a link to another device: internal DNS taken off the congested path, as at 09:28."""

from __future__ import annotations

from experiments.actions.base import Action, Lab
from stormlab_common.config import NAME_SCHEMA


class MoveLink(Action):
    name = "move_link"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["link", "device"],
        "properties": {"link": NAME_SCHEMA, "device": NAME_SCHEMA},
    }

    def describe(self) -> str:
        return f"move link {self.params['link']} to device {self.params['device']}"

    def apply(self, lab: Lab) -> None:
        lab.patch_link(self.params["link"], {"device": self.params["device"]})
