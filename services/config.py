"""A service's settings, loaded once: file < STORMLAB_SERVICE_* env < --set.

What they may hold, their defaults and every rule are the contract's
(stormlab_common/contracts/service.py): the same definition checks the file at start, every
live change (PATCH /admin/config) and, offline, the experiment runner's scenarios.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from stormlab_common.config import merged_layers
from stormlab_common.contracts.service import LIVE_SECTIONS, ROLES, ServiceConfig, live_changed
from stormlab_common.model import parse

__all__ = ["ENV_PREFIX", "LIVE_SECTIONS", "ROLES", "ServiceConfig", "config_from", "load_service_config",
           "patched"]

ENV_PREFIX = "STORMLAB_SERVICE_"


def load_service_config(file=None, env=None, overrides=None) -> ServiceConfig:
    return config_from(merged_layers(env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides))


def config_from(raw: Mapping[str, Any]) -> ServiceConfig:
    """Settings from a mapping shaped like the YAML file (tests, benchmarks, tools). The
    replica id, unless given, is the host name (under compose, the container id)."""
    raw = dict(raw)
    if raw.get("replica") is None:
        raw["replica"] = socket.gethostname()
    return parse(ServiceConfig, raw)


def patched(config: ServiceConfig, change: Any) -> ServiceConfig:
    """The settings a live change (a JSON merge patch of live sections) would give; raises
    ChangeRefused (a ConfigError) naming every problem, leaving ``config`` untouched."""
    return live_changed(config, change)
