"""What the lab sends for each change, derived purely (no HTTP): the runner sends exactly
these, and an offline scenario validator may build the same bodies to check them against
the components' own rules before anything runs.

The clients' config is one merge patch over the load generator's base config
(docs/clients.md), replaced whole at every ``PUT /stormlab/config``; so each function here
takes the patch last sent (the run's patch) and returns the next one, leaving its inputs
untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

SERVICE_LIVE_SECTIONS = ("capacity", "work", "queue", "mitigations")  # docs/services.md


def client_patch_for_run(patch: Mapping[str, Any], base_profiles: Mapping[str, Any], seed: int,
                         base_workload: Mapping[str, Any] | None = None) -> dict:
    """The clients' config for a run: the scenario's ``patch`` with ``seed`` set. When the
    scenario names its own client profiles, they replace the base's (``base_profiles``, the
    loadgen's ``config.clients``): every base profile it does not name is removed (null). So
    does its own workload replace the base's calls (``base_workload``, ``config.workload``)."""
    run = copy.deepcopy(dict(patch))
    for key, base in (("clients", base_profiles), ("workload", base_workload or {})):
        if isinstance(run.get(key), Mapping):  # (anything else is sent as it is, for the loadgen to refuse)
            run[key] = {**dict.fromkeys(base), **run[key]}
    run["seed"] = seed
    return run


def switched_client_patch(
    run_patch: Mapping[str, Any] | None, base_profiles: Mapping[str, Any], profile_patch: Mapping[str, Any]
) -> dict:
    """The run's patch with ``profile_patch`` applied to every client profile in force (the
    run's own profiles, else the base's), each of its keys replaced whole: a policy switch
    sends the new policy, never one merged with the old."""
    run = copy.deepcopy(dict(run_patch or {}))
    profiles = run.get("clients") or {}
    names = [name for name, profile in profiles.items() if profile is not None] or list(base_profiles)
    for name in names:
        profile = copy.deepcopy(dict(profiles.get(name) or base_profiles.get(name) or {}))
        profile.update(copy.deepcopy(dict(profile_patch)))
        profiles[name] = profile
    run["clients"] = {**dict.fromkeys(base_profiles), **profiles}
    return run


def client_setting_patch(run_patch: Mapping[str, Any] | None, key: str, value: Any) -> dict:
    """The run's patch with one top-level setting changed (e.g. ``fetch_on_start``)."""
    run = copy.deepcopy(dict(run_patch or {}))
    run[key] = copy.deepcopy(value)
    return run


def device_creation_body(device: str, patch: Mapping[str, Any]) -> dict:
    """``POST /devices`` for a device the stack does not have: the scenario's settings are
    the whole config of the new device (the proxy's defaults fill the rest)."""
    return {"name": device, **copy.deepcopy(dict(patch))}


def restoring_patch(before: Any, now: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``now`` back into ``before``: keys added
    since are removed (null), changed ones set back, nested mappings patched key by key. Sending
    ``before`` whole would not do: a merge patch never removes a key it does not name (a fault
    added to a link during the run would stay)."""
    if not isinstance(before, Mapping) or not isinstance(now, Mapping):
        return copy.deepcopy(before)
    patch: dict[str, Any] = {key: None for key in now if key not in before}
    for key, value in before.items():
        if key not in now:
            patch[key] = copy.deepcopy(value)
        elif value != now[key]:
            patch[key] = restoring_patch(value, now[key])
    return patch


def proxy_restore_body(found: Mapping[str, Any]) -> dict:
    """A device or link as ``GET /devices/{name}`` (or ``/links/{name}``) answered, as the
    ``PATCH`` that puts its config back: that config, whole."""
    return copy.deepcopy(found["config"])


def service_restore_body(found: Mapping[str, Any]) -> dict:
    """A service's ``GET /admin/config`` answer (``{"config", "live_sections"}``) as the
    ``PATCH`` that puts its live settings back: only those sections may change while it runs."""
    sections = found.get("live_sections") or SERVICE_LIVE_SECTIONS
    config = found["config"]
    return {section: copy.deepcopy(config[section]) for section in sections if section in config}
