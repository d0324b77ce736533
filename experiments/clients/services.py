"""The services' admin API (docs/services.md): live settings, and the memberships the dns
role publishes. Their port is not published, so every call runs inside each replica's
container (``Stack.call_service``, a ``docker exec``) and answers once per replica."""

from __future__ import annotations

from typing import Protocol

CONFIG = "/admin/config"
MEMBERSHIP_PUBLISHER = "dns"  # the service (role dns) that publishes every membership


class ServiceCaller(Protocol):
    """experiments/stack.py's ``Stack``, as far as this client needs it."""

    def call_service(self, service: str, method: str, path: str, body: dict | None = None) -> list: ...


class ServicesClient:
    def __init__(self, caller: ServiceCaller):
        self.caller = caller

    def config(self, service: str) -> dict:
        """``{"config": {...}, "live_sections": [...]}``, as the first replica has it."""
        return self.caller.call_service(service, "GET", CONFIG)[0]

    def replica_configs(self, service: str) -> list[dict]:
        """``config``'s answer from every replica, in the order the stack lists them."""
        return self.caller.call_service(service, "GET", CONFIG)

    def patch_config(self, service: str, patch: dict) -> dict:
        """Merge ``patch`` into every replica's live settings; the first replica's answer
        (its settings now, as ``config`` answers them)."""
        return self.caller.call_service(service, "PATCH", CONFIG, patch)[0]

    def announce_membership(self, service: str, endpoints: list[dict]) -> int:
        """Publish ``service``'s endpoints (``{"replica", "address"}``) on every dns replica,
        under a new version even if they are the same (``republish``); returns the version."""
        answers = self.caller.call_service(MEMBERSHIP_PUBLISHER, "PUT", f"/admin/membership/{service}",
                                           {"endpoints": endpoints, "republish": True})
        return answers[0].get("version", 0)
