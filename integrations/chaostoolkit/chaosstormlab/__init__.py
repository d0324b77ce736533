"""Chaos Toolkit extension for stormlab: a retry storm's device, clients and scaling trigger as
actions, goodput, retry amplification and the device's saturation as probes, and a control
that prepares the lab the steady state is measured on. Everything over the stack's HTTP APIs
(and, for a membership announcement, ``docker exec`` where dns's admin API is not published).
"""

from chaoslib.discovery import discover_actions, discover_probes, initialize_discovery_result
from chaoslib.types import DiscoveredActivities, Discovery

__version__ = "0.1.0"
__all__ = ["__version__", "discover"]


def discover(discover_system: bool = True) -> Discovery:
    """The extension's activities, and with ``discover_system`` the stack at the default URLs
    as its proxy and load generator describe it (or why they could not be read)."""
    discovery = initialize_discovery_result("chaostoolkit-stormlab", __version__, "stormlab")
    discovery["activities"].extend(load_exported_activities())
    if discover_system:
        discovery["system"] = _system()
    return discovery


def load_exported_activities() -> list[DiscoveredActivities]:
    activities = []
    activities.extend(discover_actions("chaosstormlab.actions"))
    activities.extend(discover_probes("chaosstormlab.probes"))
    return activities


def _system() -> dict:
    from chaoslib.exceptions import ActivityFailed

    from chaosstormlab.loadgen import LoadgenApi
    from chaosstormlab.proxy import ProxyApi
    from chaosstormlab.settings import settings_from

    settings = settings_from(None)
    system: dict = {"proxy_url": settings.proxy_url, "loadgen_url": settings.loadgen_url}
    try:
        proxy = ProxyApi(settings)
        system["devices"] = {d["name"]: d["config"] for d in proxy.devices()}
        system["links"] = {link["name"]: link["config"] for link in proxy.links()}
        answer = LoadgenApi(settings).config()
        system["client_profiles"] = {name: (profile.get("policy") or {}).get("name")
                                     for name, profile in (answer["config"].get("clients") or {}).items()}
    except ActivityFailed as exc:
        system["error"] = str(exc)
    return system
