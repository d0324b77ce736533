"""Changes to the clients' live config, each built from the patch in force (a ``PUT`` replaces
the whole patch) and sent with the loadgen's wait for every worker (chaosstormlab/loadgen.py).
Each records the patch it found first (chaosstormlab/changes.py), so a rollback puts it back."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chaoslib.exceptions import ActivityFailed

from chaosstormlab import changes
from chaosstormlab.loadgen import LoadgenApi


def configure(loadgen: LoadgenApi, patch: Mapping[str, Any], seed: int | None = None,
              replace_profiles: bool = True) -> dict:
    """Sends ``patch`` (a merge patch over the loadgen's base config, docs/clients.md) as the
    whole live patch. ``replace_profiles``: when it names client profiles, they replace those in
    force instead of merging with the base's (as a stormlab scenario's do): every other profile
    is removed (null)."""
    if not isinstance(patch, Mapping):
        example = {"clients": {"internal": {"policy": {"name": "naive"}}}}
        raise ActivityFailed(f"patch: expected a mapping (a merge patch of the clients' config, e.g. "
                             f"{example}), got {patch!r}")
    found = changes.before_clients_change(loadgen)
    new = copy.deepcopy(dict(patch))
    if replace_profiles and isinstance(new.get("clients"), Mapping):
        patched = (found.get("patch") or {}).get("clients") or {}
        in_force = set(found["config"].get("clients") or {}) | set(patched)
        new["clients"] = {**dict.fromkeys(sorted(in_force - set(new["clients"]))), **new["clients"]}
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ActivityFailed(f"seed: expected a whole number (the clients' random streams), got {seed!r}")
        new["seed"] = seed
    return loadgen.put_config(new)


def switch_policy(loadgen: LoadgenApi, policy: Mapping[str, Any], profiles: list[str] | None = None) -> dict:
    """Every client profile in force (or those of ``profiles``) on ``policy``, replaced whole:
    the old policy's parameters are nulled, so none is left behind to merge with the new one."""
    if not isinstance(policy, Mapping) or not isinstance(policy.get("name"), str):
        raise ActivityFailed(f"policy: expected a retry policy as a mapping with its name, e.g. "
                             f"{{'name': 'retry-budget', 'mode': 'ratio', 'ratio': 0.1}}, got {policy!r}")
    found = changes.before_clients_change(loadgen)
    in_force = found["config"].get("clients") or {}
    names = list(in_force) if profiles is None else list(profiles)
    unknown = [name for name in names if name not in in_force]
    if unknown or not names:
        raise ActivityFailed(f"profiles: no client profile {', '.join(map(repr, unknown)) or 'given'}; "
                             f"expected some of those in force: {', '.join(in_force) or '(none)'}")
    patch = copy.deepcopy(found.get("patch") or {})
    patch_profiles = patch.setdefault("clients", {})
    for name in names:
        old = (in_force[name].get("policy") or {})
        profile = dict(patch_profiles.get(name) or {})
        profile["policy"] = {**{key: None for key in old if key != "name"}, **copy.deepcopy(dict(policy))}
        patch_profiles[name] = profile
    answer = loadgen.put_config(patch)
    return {"policy": policy["name"], "profiles": names, "generation": answer["generation"]}


def set_setting(loadgen: LoadgenApi, key: str, value: Any) -> dict:
    """One top-level setting of the clients' config changed (e.g. ``fetch_on_start``)."""
    found = changes.before_clients_change(loadgen)
    patch = copy.deepcopy(found.get("patch") or {})
    patch[key] = value
    return loadgen.put_config(patch)
