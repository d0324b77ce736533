"""Reset (RST) connections with a probability: new ones as they arrive, or, on links with
protocol http, a connection at one of its requests (so pooled keep-alive clients feel it too)."""

from __future__ import annotations

from proxy.faults.base import ConnectionFault, RequestAction, RequestFault
from stormlab_common.contracts.proxy_faults import ResetParams


class ResetFault(ConnectionFault, RequestFault):
    Params = ResetParams
    params: ResetParams

    def resets_connection(self) -> bool:
        return self.params.on == "connect" and self.fires()

    def on_request(self, method: str, target: str) -> RequestAction | None:
        if self.params.on == "request" and self.fires():
            return RequestAction(reset=True)
        return None
