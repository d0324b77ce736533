"""Fix the clients' back-off: every client profile switches to another retry policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from stormlab_common.contracts.policies import PolicyParams
from stormlab_common.model import Meta, dump
from stormlab_common.scenario.actions.base import Action, Lab, Step


@dataclass(frozen=True, kw_only=True)
class SwitchPolicyParams(Step):
    do: Literal["switch_policy"]
    policy: Annotated[PolicyParams, Meta(description="a retry policy: {name: ..., <its parameters>} "
                                                     "(docs/retry-policies.md)")]


class SwitchPolicy(Action):
    name = "switch_policy"
    Params = SwitchPolicyParams

    def describe(self) -> str:
        policy = self.params.policy
        written = self.written.get("policy")
        given = written if isinstance(written, Mapping) else {  # else: what differs from the defaults
            key: value for key, value in dump(policy).items() if value != getattr(type(policy)(), key)}
        params = ", ".join(f"{key}={value}" for key, value in given.items() if key != "name")
        return f"switch clients to the {policy.name} policy" + (f" ({params})" if params else "")

    def apply(self, lab: Lab) -> None:
        lab.patch_clients({"policy": dump(self.params.policy)})
