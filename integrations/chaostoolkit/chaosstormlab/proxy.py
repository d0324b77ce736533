"""The proxy's admin API (stormlab docs/proxy.md, "Control API"): devices and links, each a
JSON merge patch away from its next state."""

from __future__ import annotations

from chaosstormlab.http import Component
from chaosstormlab.settings import Settings

NOT_FOUND = 404


class ProxyApi:
    def __init__(self, settings: Settings):
        self.api = Component("the proxy's admin API", settings.proxy_url, "stormlab_proxy_url",
                             settings.http_timeout)

    def health(self) -> dict:
        return self.api.call("GET", "/health")

    def devices(self) -> list[dict]:
        return self.api.call("GET", "/devices")

    def links(self) -> list[dict]:
        return self.api.call("GET", "/links")

    def device(self, name: str) -> dict | None:
        """``{"name", "config", "effective", "state", "links"}``; None if there is no such device."""
        return self.api.call("GET", f"/devices/{name}", absent=(NOT_FOUND,))

    def link(self, name: str) -> dict | None:
        return self.api.call("GET", f"/links/{name}", absent=(NOT_FOUND,))

    def patch_device(self, name: str, patch: dict) -> dict:
        return self.api.call("PATCH", f"/devices/{name}", json=patch)

    def create_device(self, name: str, config: dict) -> dict:
        return self.api.call("POST", "/devices", json={"name": name, **config})

    def delete_device(self, name: str) -> None:
        self.api.call("DELETE", f"/devices/{name}")

    def patch_link(self, name: str, patch: dict) -> dict:
        return self.api.call("PATCH", f"/links/{name}", json=patch)

    def create_link(self, name: str, config: dict) -> dict:
        return self.api.call("POST", "/links", json={"name": name, **config})

    def delete_link(self, name: str) -> None:
        self.api.call("DELETE", f"/links/{name}")
