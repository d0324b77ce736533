"""Answer a fraction of HTTP requests with an error (503 or 429) and a Retry-After header
instead of forwarding them, as an overloaded service or gateway would."""

from __future__ import annotations

import json

from proxy.faults.base import RequestAction, RequestFault, probability_schema

REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}


class HttpErrorFault(RequestFault):
    type = "http_error"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "probability"],
        "properties": {
            "type": {"const": "http_error"},
            "probability": probability_schema("fraction of requests answered with the error"),
            "status": {"enum": sorted(REASONS), "default": 503},
            "retry_after_seconds": {"type": ["integer", "null"], "minimum": 0, "default": 1,
                                    "description": "Retry-After value; null sends none"},
        },
    }

    def on_request(self, method: str, target: str) -> RequestAction | None:
        if not self.fires():
            return None
        status = self.params["status"]
        body = json.dumps({"error": REASONS[status], "injected_by": "stormlab proxy",
                           "fault": self.name}).encode()
        headers = [f"HTTP/1.1 {status} {REASONS[status]}", "Content-Type: application/json",
                   f"Content-Length: {len(body)}", "Connection: keep-alive"]
        if self.params["retry_after_seconds"] is not None:
            headers.append(f"Retry-After: {self.params['retry_after_seconds']}")
        return RequestAction(response=("\r\n".join(headers) + "\r\n\r\n").encode() + body)
