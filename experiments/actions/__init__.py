"""Operator actions a scenario's timeline can take, one small class each, by name."""

from __future__ import annotations

from typing import Any

from experiments.actions.base import Action
from experiments.actions.device_limits import DeviceLimits
from experiments.actions.disable_sources import DisableSources
from experiments.actions.move_link import MoveLink
from experiments.actions.service_settings import ServiceSettings
from experiments.actions.switch_policy import SwitchPolicy
from stormlab_common.config import ConfigError, dotted, validate

ACTIONS: dict[str, type[Action]] = {
    cls.name: cls for cls in (MoveLink, DisableSources, SwitchPolicy, ServiceSettings, DeviceLimits)
}


def make_action(name: Any, params: dict[str, Any], path: tuple = ("action",)) -> Action:
    cls = ACTIONS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(
            [f"{dotted((*path, 'do'))}: expected one of {', '.join(map(repr, ACTIONS))}, got {name!r}"]
        )
    return cls(validate(cls.SCHEMA, params, prefix=tuple(path)))
