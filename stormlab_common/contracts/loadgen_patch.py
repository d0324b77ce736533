"""A live change of the load generator's settings (``PUT /stormlab/config``, docs/clients.md):
an RFC 7386 JSON merge patch over its **base**, the config data it loaded at start (its YAML
file, ``STORMLAB_LOADGEN_*``, ``--set``, merged), each top-level key it leaves out at its
default (``base_document``). Deeper defaults are filled after the merge, not before: a
policy switched by name keeps no parameter of the old one that the base did not give.

The loadgen applies these functions with its own base; the experiment runner can apply them
offline, to a scenario's client patch, with the base the stack's loadgen loads
(``loadgen/config.yml``)::

    problems = config_patch_problems(read_yaml_file("loadgen/config.yml"), patch, ("clients", "config"))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from stormlab_common.config import ConfigError, dotted, merge_patch, validation_problems
from stormlab_common.contracts.loadgen import LoadgenConfig, config_problems
from stormlab_common.contracts.merge_patch import merge_patch_schema
from stormlab_common.model import build, defaults, schema_of

# Keys read once at start: a patch may restate them, never change them (it would silently not apply).
FIXED_KEYS = {
    "metrics_port": "the metrics server is bound at start",
    "shape": "locust picks its load shape at start",
    "membership": "each client starts its membership watch with it",
}


def config_patch_schema() -> dict[str, Any]:
    """What a patch may hold, whatever the base (the ``PUT`` body's schema)."""
    return merge_patch_schema(LoadgenConfig)


def patch_is_well_formed(patch: Any) -> bool:
    """True if ``patch`` fits the patch schema: then a refusal of it is a conflict with the base
    (HTTP 409), not a malformed request (400)."""
    return jsonschema.Draft202012Validator(config_patch_schema()).is_valid(patch)


def patched_config(base: Mapping[str, Any], patch: Any, source: str = "configuration patch",
                   prefix: tuple = ()) -> LoadgenConfig:
    """The config ``patch`` makes of ``base`` (``base`` is left as it was); ConfigError naming
    every problem, with paths under ``prefix``."""
    problems = config_patch_problems(base, patch, prefix)
    if problems:
        raise ConfigError(problems, source)
    return build(LoadgenConfig, merge_patch(base_document(base), patch))  # checked whole just now


def base_document(base: Mapping[str, Any]) -> dict[str, Any]:
    """What a patch merges into: the base as loaded, each top-level key it leaves out at its
    default (a target added to a base that names none joins the default one)."""
    return {**defaults(LoadgenConfig), **base}


def config_patch_problems(base: Mapping[str, Any], patch: Any, prefix: tuple = ()) -> list[str]:
    """Every problem of ``patch`` over ``base`` (empty: the loadgen takes it): those of the
    config it makes, in the config file's words, and the keys read at start it changes; or,
    when that config is fine, the patch's own faults (a null given to an unknown key)."""
    prefix = tuple(prefix)
    if not isinstance(patch, Mapping):
        return [f"{dotted(prefix)}: expected a JSON object (a merge patch), got {_kind(patch)}"]
    base = base_document(base)
    merged = merge_patch(base, patch)
    problems = config_problems(merged, prefix) + fixed_key_problems(base, merged, prefix)
    if not problems:
        problems = validation_problems(config_patch_schema(), patch, prefix)
    return problems


def fixed_key_problems(base: Mapping[str, Any], merged: Mapping[str, Any], prefix: tuple = ()) -> list[str]:
    """The keys read at start whose value ``merged`` changes (a key whose new value is itself
    faulty is left to that fault's own problem)."""
    problems = []
    for key, why in FIXED_KEYS.items():
        after = _effective(merged, key)
        if after is not _FAULTY and after != _effective(base, key):
            problems.append(f"{dotted((*prefix, key))}: cannot change while locust runs ({why}); "
                            "restart locust with it in its config")
    return problems


_FAULTY = object()


def _effective(data: Mapping[str, Any], key: str) -> Any:
    """The value ``key`` has in config data, defaults filled in, without the rest of it."""
    if key not in data:
        return getattr(LoadgenConfig(), key)
    if validation_problems(schema_of(LoadgenConfig)["properties"][key], data[key]):
        return _FAULTY
    return getattr(build(LoadgenConfig, {key: data[key]}), key)


def _kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")
