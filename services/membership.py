"""The memberships a dns replica publishes: per service, an endpoint list and a version.

The version starts at 0 (nothing announced yet) and goes up by exactly 1 each time an
announcement changes the endpoint list; announcing the same list again changes nothing.
It lives in memory: a restarted dns replica starts again from 0, so clients treat any
version different from the last one they saw as a change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from stormlab_common.contracts.service import Endpoint
from stormlab_common.model import schema_of

# What a published membership looks like (GET /v1/membership/{service}); announcements
# are the contract's Announcement.
MEMBERSHIP_SCHEMA = {
    "type": "object",
    "required": ["service", "version", "endpoints", "announced_at"],
    "properties": {
        "service": {"type": "string"},
        "version": {"type": "integer", "minimum": 0, "description": "0: nothing announced yet"},
        "endpoints": {"type": "array", "items": schema_of(Endpoint)},
        "announced_at": {"type": ["number", "null"], "description": "Unix time of the last change"},
    },
}


@dataclass
class Entry:
    version: int = 0
    endpoints: list[dict[str, str]] = field(default_factory=list)
    announced_at: float | None = None  # wall clock: a timestamp for annotations


class Membership:
    def __init__(self, services: Iterable[str], on_change: Callable[[str, int, int], None]):
        self._entries: dict[str, Entry] = {}
        self._on_change = on_change  # (service, version, endpoints): keeps the gauges true
        for service in services:
            self._entry(service)

    @property
    def services(self) -> list[str]:
        return sorted(self._entries)

    def get(self, service: str) -> dict | None:
        entry = self._entries.get(service)
        return None if entry is None else self._describe(service, entry)

    def announce(self, service: str, endpoints: list[dict[str, str]],
                 republish: bool = False) -> tuple[dict, bool]:
        """Publish ``endpoints`` for ``service``; return its membership and whether it changed.
        The same endpoints again keep their version, unless ``republish``."""
        entry = self._entry(service)
        endpoints = sorted(endpoints, key=lambda e: (e["address"], e["replica"]))
        changed = republish or endpoints != entry.endpoints
        if changed:
            entry.version += 1
            entry.endpoints = endpoints
            entry.announced_at = time.time()
            self._on_change(service, entry.version, len(endpoints))
        return self._describe(service, entry), changed

    def _entry(self, service: str) -> Entry:
        if service not in self._entries:
            self._entries[service] = Entry()
            self._on_change(service, 0, 0)
        return self._entries[service]

    @staticmethod
    def _describe(service: str, entry: Entry) -> dict:
        return {"service": service, "version": entry.version, "endpoints": list(entry.endpoints),
                "announced_at": entry.announced_at}
