"""Disable the heaviest sources: stop a fraction of the client population, as the operators
identified and disabled the clients driving the surge."""

from __future__ import annotations

from experiments.actions.base import Action, Lab


class DisableSources(Action):
    name = "disable_sources"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["fraction"],
        "properties": {
            "fraction": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1,
                "description": "share of the running clients to stop",
            }
        },
    }

    def describe(self) -> str:
        return f"disable {self.params['fraction']:.0%} of the client sources"

    def apply(self, lab: Lab) -> None:
        lab.set_client_count(round(lab.client_count * (1 - self.params["fraction"])))
