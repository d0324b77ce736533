"""Layered configuration: schema defaults < YAML file < environment < command line.

Each component describes its settings with one JSON Schema. This module loads the layers,
merges them and validates the result, reporting *every* bad key with its dotted path
(`links.dns.upstream: expected a string, got 5`) before anything starts.

Environment variables are named ``<PREFIX><KEY>`` with ``__`` between nesting levels,
e.g. ``STORMLAB_PROXY_ADMIN__PORT=9000``; ``<PREFIX>CONFIG`` names the YAML file. Values
are parsed as YAML scalars, so ``5`` is a number and ``true`` a boolean.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from stormlab_common.wording import dotted, invalid_paths, validation_problems  # noqa: F401 - invalid_paths re-exported

CONFIG_FILE_KEY = "CONFIG"

# The schema of every name (links, devices, services, targets): it ends up in metric labels.
NAME_SCHEMA = {
    "type": "string",
    "pattern": "^[a-z][a-z0-9_-]{0,62}$",
    "description": "a name of lowercase letters, digits, '-' or '_', starting with a letter",
}


class _Loader(yaml.SafeLoader):
    """PyYAML follows YAML 1.1, where ``5e3`` is a string; rates here are often written like
    that, so floats resolve as in YAML 1.2 (integers still resolve first)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


class ConfigError(ValueError):
    """Raised with every problem found, one ``path: what is wrong`` line each."""

    def __init__(self, problems: list[str], source: str = "configuration"):
        self.problems = problems
        self.source = source  # what was refused, for an API's one-line summary
        super().__init__(f"invalid {source}:\n  " + "\n  ".join(problems))


def load_config(
    schema: Mapping[str, Any],
    *,
    env_prefix: str,
    file: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """Merge the layers, validate and return a plain dict with every default filled in.

    ``overrides`` are ``dotted.key=value`` strings from the command line (``--set``).
    """
    merged = merged_layers(env_prefix=env_prefix, file=file, env=env, overrides=overrides)
    problems = validation_problems(schema, merged)
    if problems:
        raise ConfigError(problems)
    return fill_defaults(schema, merged)


def merged_layers(
    *,
    env_prefix: str,
    file: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """The YAML file, the environment and the ``--set`` overrides merged, later layers
    winning, not yet validated. ConfigError for an unreadable file or a malformed override."""
    env = os.environ if env is None else env
    problems: list[str] = []
    file = file or env.get(env_prefix + CONFIG_FILE_KEY)
    merged: dict[str, Any] = {}
    if file:
        merged = _deep_merge(merged, read_yaml_file(Path(file)))
    merged = _deep_merge(merged, _from_env(env, env_prefix))
    merged = _deep_merge(merged, _from_overrides(overrides or [], problems))
    if problems:
        raise ConfigError(problems)
    return merged


def validate(schema: Mapping[str, Any], instance: Any, source: str = "configuration",
             prefix: tuple = ()) -> Any:
    """Validate ``instance`` (e.g. a JSON body) and return it with defaults filled in.

    ``prefix`` is where the instance sits in a larger config, for the paths in messages.
    """
    problems = validation_problems(schema, instance, prefix)
    if problems:
        raise ConfigError(problems, source)
    return fill_defaults(schema, instance)


def fill_defaults(schema: Mapping[str, Any], instance: Any) -> Any:
    """Return a copy of ``instance`` with schema ``default`` values filled in, recursively.

    jsonschema validates but never fills defaults; components want one complete dict.
    """
    instance = copy.deepcopy(instance)
    if instance is None and "default" in schema:
        instance = copy.deepcopy(schema["default"])
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key, sub in properties.items():
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                instance[key] = fill_defaults(sub, instance[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            for key in instance.keys() - properties.keys():
                instance[key] = fill_defaults(extra, instance[key])
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        instance = [fill_defaults(schema["items"], item) for item in instance]
    return instance


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: mappings merge, null deletes a key, anything else replaces."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def read_yaml_file(path: str | os.PathLike) -> dict[str, Any]:
    """A YAML mapping read with this module's loader; ConfigError if unreadable or not a mapping."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config file ({exc.strerror})"]) from exc
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML ({exc})"]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level, got {type(data).__name__}"])
    return data


def _from_env(env: Mapping[str, str], prefix: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, raw in env.items():
        if not name.startswith(prefix) or name == prefix + CONFIG_FILE_KEY:
            continue
        path = [part.lower() for part in name[len(prefix) :].split("__")]
        _set_path(result, path, _parse_scalar(raw))
    return result


def _from_overrides(overrides: list[str], problems: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            problems.append(f"--set {item!r}: expected key.path=value")
            continue
        _set_path(result, key.strip().split("."), _parse_scalar(raw))
    return result


def _parse_scalar(raw: str) -> Any:
    try:
        return yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError:
        return raw


def _set_path(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}  # a nested setting replaces a scalar given for its parent
        target = target[part]
    target[path[-1]] = value


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged
