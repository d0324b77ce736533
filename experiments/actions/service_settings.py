"""Change a service's live settings, e.g. turn on admission control (a service mitigation)."""

from __future__ import annotations

from experiments.actions.base import Action, Lab
from stormlab_common.config import NAME_SCHEMA


class ServiceSettings(Action):
    name = "service_settings"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["service", "settings"],
        "properties": {
            "service": NAME_SCHEMA,
            "settings": {
                "type": "object",
                "minProperties": 1,
                "description": "a merge patch for the service's /admin/config",
            },
        },
    }

    def describe(self) -> str:
        return f"change {self.params['service']} settings: {_flat(self.params['settings'])}"

    def apply(self, lab: Lab) -> None:
        lab.patch_service(self.params["service"], self.params["settings"])


def _flat(patch: dict, prefix: str = "") -> str:
    parts = []
    for key, value in patch.items():
        if isinstance(value, dict):
            parts.append(_flat(value, f"{prefix}{key}."))
        else:
            parts.append(f"{prefix}{key}={value}")
    return ", ".join(parts)
