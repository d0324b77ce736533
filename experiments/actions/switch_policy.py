"""Fix the clients' back-off: every client profile switches to another retry policy."""

from __future__ import annotations

from experiments.actions.base import Action, Lab


class SwitchPolicy(Action):
    name = "switch_policy"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["policy"],
        "properties": {
            "policy": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
                "description": "a retry policy: {name: ..., <its parameters>}",
            }
        },
    }

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.params["policy"].items() if k != "name")
        return f"switch clients to the {self.params['policy']['name']} policy" + (
            f" ({params})" if params else ""
        )

    def apply(self, lab: Lab) -> None:
        lab.patch_clients({"policy": self.params["policy"]})
