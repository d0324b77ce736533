"""Change a service's live settings, e.g. turn on admission control (a service mitigation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from stormlab_common.model import Meta, Name
from stormlab_common.scenario.actions.base import Action, Lab, Step


@dataclass(frozen=True, kw_only=True)
class ServiceSettingsParams(Step):
    do: Literal["service_settings"]
    service: Name
    # what the service takes is its own rule (stormlab_common/contracts/service.py), checked
    # offline against the stack's settings (experiments/validation.py)
    settings: Annotated[dict, Meta(min_properties=1, description="a merge patch for the service's "
                                                                 "/admin/config")]


class ServiceSettings(Action):
    name = "service_settings"
    Params = ServiceSettingsParams
    TARGET, PATCH = "service", "settings"

    def describe(self) -> str:
        return f"change {self.params.service} settings: {flat(self.params.settings)}"

    def apply(self, lab: Lab) -> None:
        lab.patch_service(self.params.service, self.params.settings)


def flat(patch: dict, prefix: str = "") -> str:
    parts = []
    for key, value in patch.items():
        if isinstance(value, dict):
            parts.append(flat(value, f"{prefix}{key}."))
        else:
            parts.append(f"{prefix}{key}={value}")
    return ", ".join(parts)
