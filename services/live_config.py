"""The settings in force, and the one place a live change is validated and applied."""

from __future__ import annotations

import logging
from typing import Any

from services.config import LIVE_SECTIONS, ServiceConfig, patched
from services.station import Station
from stormlab_common.model import dump

log = logging.getLogger(__name__)


class LiveConfig:
    def __init__(self, config: ServiceConfig, station: Station):
        self.current = config
        self._station = station

    def change(self, change: Any) -> ServiceConfig:
        """Apply a live change (PATCH /admin/config). On any problem, ChangeRefused names
        every one and the settings in force stay as they were."""
        new = patched(self.current, change)
        self._station.reconfigure(new)
        self.current = new
        log.info("settings changed: %s", change)
        return new

    def describe(self) -> dict[str, Any]:
        return {"config": dump(self.current), "live_sections": list(LIVE_SECTIONS)}
