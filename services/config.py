"""A service's settings: one schema, one loader (file < STORMLAB_SERVICE_* env < --set).

The same schema validates live changes (PATCH /admin/config): a change is merged into the
settings in force and the whole result validated, so every bad key is reported with its
path and a bad change leaves the previous settings in force. Only the sections in
``LIVE_SECTIONS`` may change while running; the rest needs a restart.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Mapping
from typing import Any

from services.service_time import DISTRIBUTIONS, distribution_problems
from services.settings import ServiceConfig, settings_from
from stormlab_common.config import NAME_SCHEMA, ConfigError, load_config, validate

ENV_PREFIX = "STORMLAB_SERVICE_"
ROLES = ["control-plane", "dns", "kv", "monitoring-ingest"]
LIVE_SECTIONS = ("capacity", "work", "queue", "mitigations")


def _section(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "default": {}, "properties": properties}


def _switch(**properties: Any) -> dict[str, Any]:
    return _section({"enabled": {"type": "boolean", "default": False}, **properties})


POSITIVE = {"type": "number", "exclusiveMinimum": 0}

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": NAME_SCHEMA,  # its metrics' service label, e.g. api, dns, kv
        "role": {"enum": ROLES, "default": "control-plane"},
        "replica": {"type": "string", "minLength": 1,
                    "description": "this replica's id; defaults to the host name"},
        "host": {"type": "string", "default": "0.0.0.0"},
        "port": {"type": "integer", "minimum": 0, "maximum": 65535, "default": 8080},
        "max_request_bytes": {"type": "integer", "minimum": 1, "default": 1048576},
        "capacity": _section({
            "workers": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 8},
            "queue_limit": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 256},
        }),
        "work": _section({
            "service_time_seconds": {"type": "number", "minimum": 0, "default": 0.01,
                                     "description": "mean time each request takes (a sleep)"},
            "distribution": {"enum": sorted(DISTRIBUTIONS), "default": "fixed"},
            "p99_seconds": {**POSITIVE, "description": "the lognormal's 99th percentile; "
                                                       "defaults to 3 times the mean"},
            "response_bytes": {"type": "integer", "minimum": 0, "maximum": 67108864, "default": 1024},
        }),
        "queue": _section({
            "discipline": {"enum": ["fifo", "lifo", "codel"], "default": "fifo"},
            "codel_target_seconds": {**POSITIVE, "default": 0.005},
            "codel_interval_seconds": {**POSITIVE, "default": 0.1},
        }),
        "mitigations": _section({
            "admission_control": _switch(
                max_queue_delay_seconds={**POSITIVE, "default": 0.25},
                retry_after_seconds={"type": "integer", "minimum": 0, "maximum": 3600, "default": 1}),
            "deadline_propagation": _switch(),
            "first_attempt_priority": _switch(),
        }),
        "kv": _section({
            "max_items": {"type": "integer", "minimum": 0, "default": 100000},
            "max_value_bytes": {"type": "integer", "minimum": 0, "maximum": 67108864, "default": 1048576},
            "preload_items": {"type": "integer", "minimum": 0, "default": 0},
            "preload_value_bytes": {"type": "integer", "minimum": 0, "maximum": 67108864, "default": 4096},
        }),
        "membership": _section({
            "services": {"type": "array", "default": [], "items": NAME_SCHEMA,
                         "description": "services whose membership this dns replica publishes"},
        }),
    },
}


def load_service_config(file=None, env=None, overrides=None) -> ServiceConfig:
    raw = load_config(SCHEMA, env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides)
    raw.setdefault("replica", socket.gethostname())
    _check_semantics(raw)
    return settings_from(raw)


def config_from(raw: Mapping[str, Any]) -> ServiceConfig:
    """Settings from a mapping shaped like the YAML file (tests, benchmarks, tools)."""
    raw = validate(SCHEMA, dict(raw))
    raw.setdefault("replica", socket.gethostname())
    _check_semantics(raw)
    return settings_from(raw)


def patched(config: ServiceConfig, change: Any) -> ServiceConfig:
    """The settings ``change`` (a partial mapping, as in PATCH) would give; raises
    ConfigError naming every problem, leaving ``config`` untouched."""
    if not isinstance(change, Mapping):
        raise ConfigError([f"(top level): expected a mapping of sections, got {change!r}"], "change")
    fixed = sorted(set(change) - set(LIVE_SECTIONS))
    problems = [f"{key}: cannot change while running (live sections: {', '.join(LIVE_SECTIONS)})"
                for key in fixed if key in SCHEMA["properties"]]
    problems += [f"{key}: unknown key; expected one of: {', '.join(LIVE_SECTIONS)}"
                 for key in fixed if key not in SCHEMA["properties"]]
    if problems:
        raise ConfigError(problems, "change")
    raw = validate(SCHEMA, merged(config.raw, change), "change")
    _check_semantics(raw, "change")
    return settings_from(raw)


def merged(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``change`` merged in, nested mappings key by key (JSON merge patch
    without deletion: every key has a default, so there is nothing to delete)."""
    result = copy.deepcopy(dict(base))
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _check_semantics(raw: dict[str, Any], source: str = "configuration") -> None:
    """What the schema cannot say: relations between keys."""
    problems = distribution_problems(raw["work"], "work")
    if problems:
        raise ConfigError(problems, source)
