"""Change a device's limits live: more capacity, or protective connection limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from stormlab_common.model import Meta, Name
from stormlab_common.scenario.actions.base import Action, Lab, Step
from stormlab_common.scenario.actions.service_settings import flat


@dataclass(frozen=True, kw_only=True)
class DeviceLimitsParams(Step):
    do: Literal["device_limits"]
    device: Name
    # what the proxy takes is its own rule (stormlab_common/contracts/proxy.py), checked
    # offline against the stack's devices (experiments/validation.py)
    limits: Annotated[dict, Meta(min_properties=1, description="a merge patch for the device "
                                                               "(docs/proxy.md)")]


class DeviceLimits(Action):
    name = "device_limits"
    Params = DeviceLimitsParams
    TARGET, PATCH = "device", "limits"

    def describe(self) -> str:
        return f"change device {self.params.device}: {flat(self.params.limits)}"

    def apply(self, lab: Lab) -> None:
        lab.patch_device(self.params.device, self.params.limits)
