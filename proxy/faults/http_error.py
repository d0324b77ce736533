"""Answer a fraction of HTTP requests with an error (503 or 429) and a Retry-After header
instead of forwarding them, as an overloaded service or gateway would."""

from __future__ import annotations

import json

from proxy.faults.base import RequestAction, RequestFault
from stormlab_common.contracts.proxy_faults import HTTP_ERROR_REASONS, HttpErrorParams


class HttpErrorFault(RequestFault):
    Params = HttpErrorParams
    params: HttpErrorParams

    def on_request(self, method: str, target: str) -> RequestAction | None:
        if not self.fires():
            return None
        status = self.params.status
        reason = HTTP_ERROR_REASONS[status]
        body = json.dumps({"error": reason, "injected_by": "stormlab proxy", "fault": self.name}).encode()
        headers = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json",
                   f"Content-Length: {len(body)}", "Connection: keep-alive"]
        if self.params.retry_after_seconds is not None:
            headers.append(f"Retry-After: {self.params.retry_after_seconds}")
        return RequestAction(response=("\r\n".join(headers) + "\r\n\r\n").encode() + body)
