"""Typed keys for what the app holds (plain strings on aiohttp < 3.9)."""

from services.live_config import LiveConfig
from services.metrics import ServiceMetrics
from services.station import Station
from stormlab_common.web import app_key


class Lifecycle:
    """Whether the replica serves: false until the app has started and once it drains."""

    serving = False


SETTINGS = app_key("settings", LiveConfig)
STATION = app_key("station", Station)
METRICS = app_key("metrics", ServiceMetrics)
LIFECYCLE = app_key("lifecycle", Lifecycle)
