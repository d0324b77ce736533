"""Reset (RST) connections with a probability: new ones as they arrive, or, on links with
protocol http, a connection at one of its requests (so pooled keep-alive clients feel it too)."""

from __future__ import annotations

from proxy.faults.base import ConnectionFault, RequestAction, RequestFault, probability_schema


class ResetFault(ConnectionFault, RequestFault):
    type = "reset"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "probability"],
        "properties": {
            "type": {"const": "reset"},
            "probability": probability_schema("chance that a connection (or request) is reset"),
            "on": {"enum": ["connect", "request"], "default": "connect",
                   "description": "reset new connections, or connections at a request (http links)"},
        },
    }

    @classmethod
    def acts_on_requests(cls, params: dict) -> bool:
        return params.get("on") == "request"

    def resets_connection(self) -> bool:
        return self.params["on"] == "connect" and self.fires()

    def on_request(self, method: str, target: str) -> RequestAction | None:
        if self.params["on"] == "request" and self.fires():
            return RequestAction(reset=True)
        return None
