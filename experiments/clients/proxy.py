"""The proxy's admin API (docs/proxy.md): devices, links, and when connections arrived."""

from __future__ import annotations

from experiments.clients.http import JsonApi


class ProxyClient(JsonApi):
    """The kernel device (router/) answers the same routes but /settings and /arrivals."""

    def health(self) -> dict:
        """``{"status", "kind", "devices", "links"}``: ``kind`` is proxy or kernel."""
        return self.call("GET", "/health")

    def settings(self) -> dict:
        """The process-wide settings (``chunk_bytes``, ...)."""
        return self.call("GET", "/settings")

    def patch_settings(self, patch: dict) -> dict:
        return self.call("PATCH", "/settings", json=patch)

    def devices(self) -> list[dict]:
        """Every device, each as ``device`` answers it."""
        return self.call("GET", "/devices")

    def device(self, name: str) -> dict | None:
        """``{"name", "config", "effective", "state", "links"}``; None if there is no such device."""
        return self.call("GET", f"/devices/{name}", absent=(404,))

    def create_device(self, body: dict) -> dict:
        """``body``: ``{"name": ..., **config}`` (experiments/change_bodies.py)."""
        return self.call("POST", "/devices", json=body)

    def patch_device(self, name: str, patch: dict) -> dict:
        """A merge patch of the device's config; answers the device as ``device`` does."""
        return self.call("PATCH", f"/devices/{name}", json=patch)

    def delete_device(self, name: str, *, missing_ok: bool = False) -> None:
        """Refused (409) while a link uses it; ``missing_ok``: a device already gone is fine."""
        self.call("DELETE", f"/devices/{name}", absent=(404,) if missing_ok else ())

    def links(self) -> list[dict]:
        """Every link, each as ``link`` answers it."""
        return self.call("GET", "/links")

    def link(self, name: str, *, missing_ok: bool = False) -> dict | None:
        """``{"name", "config", ...}``; with ``missing_ok``, None if there is no such link."""
        return self.call("GET", f"/links/{name}", absent=(404,) if missing_ok else ())

    def create_link(self, body: dict) -> dict:
        """``body``: ``{"name": ..., **config}``."""
        return self.call("POST", "/links", json=body)

    def delete_link(self, name: str, *, missing_ok: bool = False) -> None:
        """``missing_ok``: a link already gone is fine."""
        self.call("DELETE", f"/links/{name}", absent=(404,) if missing_ok else ())

    def patch_link(self, name: str, patch: dict) -> dict:
        return self.call("PATCH", f"/links/{name}", json=patch)

    def arrivals(self, since: float, until: float) -> dict:
        """When connections arrived at the devices between two wall-clock times, per 100 ms,
        as each device's kernel timed the handshake (``GET /arrivals``)."""
        return self.call("GET", "/arrivals", params={"since": since, "until": until})
