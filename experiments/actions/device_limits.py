"""Change a device's limits live: more capacity, or protective connection limits."""

from __future__ import annotations

from experiments.actions.base import Action, Lab
from experiments.actions.service_settings import _flat
from stormlab_common.config import NAME_SCHEMA


class DeviceLimits(Action):
    name = "device_limits"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["device", "limits"],
        "properties": {
            "device": NAME_SCHEMA,
            "limits": {
                "type": "object",
                "minProperties": 1,
                "description": "a merge patch for the device (docs/proxy.md)",
            },
        },
    }

    def describe(self) -> str:
        return f"change device {self.params['device']}: {_flat(self.params['limits'])}"

    def apply(self, lab: Lab) -> None:
        lab.patch_device(self.params["device"], self.params["limits"])
