"""Chaos Toolkit actions on a stormlab stack, each one call (or a few) to the stack's HTTP APIs:
the device (the proxy's admin API), the clients (locust's web API and /stormlab/config), the
scaling trigger, and stormlab's own runner.

Every change to a device, a link or the clients' config is recorded first (how it was), so
``restore_proxy`` and ``restore_clients_config`` (the rollbacks) put back exactly what this
run changed. A refusal, an unreachable component or a bad argument raises ``ActivityFailed``
saying what is wrong and what is expected.
"""

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration

import chaosstormlab.settings as stormlab_settings
from chaosstormlab import arguments, changes, clients, runs, trigger
from chaosstormlab.loadgen import LoadgenApi
from chaosstormlab.proxy import ProxyApi

__all__ = [
    "add_fault",
    "configure_clients",
    "fire_scaling_trigger",
    "move_link",
    "remove_fault",
    "reset_clients_config",
    "reset_proxy",
    "restore_clients_config",
    "restore_proxy",
    "run_scenario",
    "set_device_limits",
    "start_clients",
    "stop_clients",
    "switch_retry_policy",
    "wait",
]

STOP_TIMEOUT = 15.0  # seconds for locust to stop every client


def set_device_limits(device: str, limits: dict, create_if_missing: bool = False,
                      configuration: Configuration = None) -> dict:
    """Change a device's limits live: ``limits`` is a JSON merge patch of the device (e.g.
    ``{"connections": {"new_per_second": 100}, "downstream": {"bytes_per_second": 1500000}}``;
    null puts a key back to its default). ``create_if_missing``: a device the proxy does not
    have is created with these settings (as a stormlab scenario's ``topology.devices`` are)."""
    proxy = ProxyApi(stormlab_settings.settings_from(configuration))
    arguments.name(device, "device")
    if not isinstance(limits, Mapping) or not limits:
        raise ActivityFailed(f"limits: expected a non-empty mapping (a merge patch of the device, e.g. "
                             f"{{'connections': {{'new_per_second': 100}}}}), got {limits!r}")
    found = proxy.device(device)
    if found is None and not create_if_missing:
        known = ", ".join(d["name"] for d in proxy.devices()) or "(none)"
        raise ActivityFailed(f"the proxy has no device {device!r}; expected one of: {known} "
                             "(or create_if_missing: true to create it)")
    changes.before_device_change(proxy, device)
    if found is None:
        answer = proxy.create_device(device, dict(limits))
        return {"device": device, "created": True, "config": answer.get("config")}
    answer = proxy.patch_device(device, dict(limits))
    return {"device": device, "created": False, "config": answer.get("config")}


def move_link(link: str, device: str, configuration: Configuration = None) -> dict:
    """Move a link to another device (e.g. internal DNS off the congested device)."""
    proxy = ProxyApi(stormlab_settings.settings_from(configuration))
    arguments.name(link, "link")
    arguments.name(device, "device")
    found = changes.before_link_change(proxy, link)
    answer = proxy.patch_link(link, {"device": device})
    return {"link": link, "device": answer["config"]["device"], "was": found["config"]["device"]}


def add_fault(link: str, name: str, fault: dict, configuration: Configuration = None) -> dict:
    """Add (or replace) the fault ``name`` on a link, e.g. ``{"type": "http_error",
    "probability": 0.2, "status": 503}``, ``{"type": "latency", "latency_seconds": 0.05}`` or
    ``{"type": "reset", "probability": 0.01, "on": "connect"}`` (stormlab docs/proxy.md)."""
    proxy = ProxyApi(stormlab_settings.settings_from(configuration))
    arguments.name(link, "link")
    arguments.name(name, "name")
    if not isinstance(fault, Mapping) or not isinstance(fault.get("type"), str):
        raise ActivityFailed(f"fault: expected a mapping with its type, e.g. {{'type': 'http_error', "
                             f"'probability': 0.2}}, got {fault!r}")
    changes.before_link_change(proxy, link)
    answer = proxy.patch_link(link, {"faults": {name: dict(fault)}})
    return {"link": link, "faults": answer["config"]["faults"]}


def remove_fault(link: str, name: str, configuration: Configuration = None) -> dict:
    """Remove the fault ``name`` from a link; a fault that is not there is already removed."""
    proxy = ProxyApi(stormlab_settings.settings_from(configuration))
    arguments.name(link, "link")
    arguments.name(name, "name")
    found = changes.before_link_change(proxy, link)
    if name not in (found["config"].get("faults") or {}):
        return {"link": link, "removed": False, "faults": found["config"].get("faults") or {}}
    answer = proxy.patch_link(link, {"faults": {name: None}})
    return {"link": link, "removed": True, "faults": answer["config"]["faults"]}


def start_clients(count: int, spawn_rate: float = 100.0, configuration: Configuration = None) -> dict:
    """Run ``count`` clients in all (started, or stopped, ``spawn_rate`` a second): locust's
    ``POST /swarm``. With clients running, it changes how many run (e.g. to disable sources)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= trigger.MAX_CLIENTS:
        raise ActivityFailed(f"count: expected a whole number of clients from 1 to {trigger.MAX_CLIENTS} "
                             f"(stop_clients stops them all), got {count!r}")
    if isinstance(spawn_rate, bool) or not isinstance(spawn_rate, int | float) or spawn_rate <= 0:
        raise ActivityFailed(f"spawn_rate: expected a number of clients per second > 0, got {spawn_rate!r}")
    LoadgenApi(stormlab_settings.settings_from(configuration)).swarm(count, spawn_rate)
    return {"clients": count, "spawn_rate": spawn_rate}


def stop_clients(configuration: Configuration = None) -> dict:
    """Stop every client (locust's ``/stop``), and wait until locust says they are stopped."""
    loadgen = LoadgenApi(stormlab_settings.settings_from(configuration))
    loadgen.stop()
    deadline = time.monotonic() + STOP_TIMEOUT
    while True:
        stats = loadgen.stats()
        stopped = stats.get("state") in ("ready", "stopped") and not stats.get("user_count")
        if stopped or time.monotonic() > deadline:
            return {"stopped": stopped, "state": stats.get("state"), "clients": stats.get("user_count")}
        time.sleep(0.5)


def configure_clients(patch: dict, seed: int = None, replace_profiles: bool = True,
                      configuration: Configuration = None) -> dict:
    """Set the clients' live config: ``patch`` is a JSON merge patch over the loadgen's base
    config (stormlab docs/clients.md), e.g. ``{"arrivals": {"process": "poisson",
    "requests_per_second": 1}, "clients": {"internal": {"policy": {"name": "naive"},
    "attempt_timeout_seconds": 1, "deadline_seconds": 5, "reuse_connections": false}}}``.
    ``replace_profiles``: the profiles it names replace those in force (as in a stormlab
    scenario) rather than merge with the base's. Returns once every worker applied it."""
    answer = clients.configure(LoadgenApi(stormlab_settings.settings_from(configuration)), patch, seed,
                               replace_profiles)
    return {"generation": answer["generation"], "workers": answer.get("workers")}


def switch_retry_policy(policy: dict, profiles: list = None, configuration: Configuration = None) -> dict:
    """Switch every client profile (or those named in ``profiles``) to another retry policy,
    e.g. ``{"name": "retry-budget", "mode": "ratio", "ratio": 0.1}`` (stormlab
    docs/retry-policies.md); running clients switch at once. Returns once every worker applied it."""
    return clients.switch_policy(LoadgenApi(stormlab_settings.settings_from(configuration)), policy, profiles)


def fire_scaling_trigger(surge_factor: float = 4.0, duration_seconds: float = 15.0, membership: str = None,
                         boot_fetch: bool = False, baseline_clients: int = None, spawn_rate: float = None,
                         time_scale: float = None, configuration: Configuration = None) -> dict:
    """The scaling activity of stormlab's timeline: ``boot_fetch`` makes the surge's clients
    boot together, each fetching from every target at once; ``membership`` announces a new
    membership of that service (every watching client reconnects); the population grows
    ``surge_factor`` times for ``duration_seconds`` (x the time scale), then falls back to the
    baseline (the clients running before, or ``baseline_clients``). Blocks for the duration."""
    settings = stormlab_settings.settings_from(configuration)
    return trigger.fire(settings, surge_factor, duration_seconds, membership, boot_fetch, baseline_clients,
                        spawn_rate, time_scale)


def wait(seconds: float, time_scale: float = None, configuration: Configuration = None) -> dict:
    """Pause for ``seconds`` x the time scale (``time_scale``, else the configuration's
    ``stormlab_time_scale``): a pause of the timeline (the recovery, the time to an operator
    action) that shrinks with the rest of the run, as the runner's --time-scale does."""
    settings = stormlab_settings.settings_from(configuration)
    waited = stormlab_settings.scaled(seconds, time_scale, settings, "seconds")
    time.sleep(waited)
    return {"waited_seconds": waited}


def restore_proxy(configuration: Configuration = None) -> dict:
    """Put back every device and link this run changed, as it found them; delete the devices
    it created."""
    return changes.restore_proxy(ProxyApi(stormlab_settings.settings_from(configuration)))


def reset_proxy(definition: Any = "proxy/config.yml", configuration: Configuration = None) -> dict:
    """Put every device and link back to a definition: a proxy config file (YAML or JSON; the
    stack's is proxy/config.yml in a stormlab checkout) or the same as a mapping. The devices
    and links it does not define are deleted, as ``python -m experiments reset`` does."""
    settings = stormlab_settings.settings_from(configuration)
    if isinstance(definition, str):
        definition = arguments.definition_file(Path(settings.repository) / definition)
    if not isinstance(definition, Mapping):
        raise ActivityFailed(f"definition: expected a proxy config file or mapping with devices and links, "
                             f"got {definition!r}")
    return changes.reset_to_definition(ProxyApi(settings), definition)


def restore_clients_config(configuration: Configuration = None) -> dict:
    """Put the clients' live config back to what it was before this run changed it."""
    return changes.restore_clients_config(LoadgenApi(stormlab_settings.settings_from(configuration)))


def reset_clients_config(configuration: Configuration = None) -> dict:
    """Drop the clients' live patch (``PUT /stormlab/config {}``): their base config again."""
    answer = LoadgenApi(stormlab_settings.settings_from(configuration)).put_config({})
    return {"generation": answer["generation"], "workers": answer.get("workers")}


def run_scenario(scenario: str, time_scale: float = 1.0, results: str = "results", strict: bool = False,
                 timeout_seconds: float = None, configuration: Configuration = None) -> dict:
    """Run a stormlab scenario (a name in experiments/ or a file) with stormlab's runner on the
    stack that is up (``python -m experiments run SCENARIO --no-start``, in the checkout
    ``stormlab_repository``), and return its verdict, whether it was the one expected, why,
    and its figures (read from the run.json it writes under ``results``)."""
    settings = stormlab_settings.settings_from(configuration)
    return runs.run_scenario(settings, scenario, time_scale, results, strict, timeout_seconds)
