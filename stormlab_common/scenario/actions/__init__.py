"""Operator actions a scenario's timeline can take, one small class each, by name: an entry
of ``timeline.actions`` is the parameters of the action its ``do:`` names."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Annotated, Any

from stormlab_common.model import Tagged
from stormlab_common.scenario.actions.base import Action
from stormlab_common.scenario.actions.device_limits import DeviceLimits
from stormlab_common.scenario.actions.disable_sources import DisableSources
from stormlab_common.scenario.actions.move_link import MoveLink
from stormlab_common.scenario.actions.service_settings import ServiceSettings
from stormlab_common.scenario.actions.switch_policy import SwitchPolicy

ACTIONS: dict[str, type[Action]] = {
    cls.name: cls for cls in (MoveLink, DisableSources, SwitchPolicy, ServiceSettings, DeviceLimits)
}

# An entry of timeline.actions: one of the actions' parameters, told apart by ``do``.
ActionStep = Annotated[typing.Union[tuple(cls.Params for cls in ACTIONS.values())], Tagged("do")]  # noqa: UP007


def make_action(params: Any, written: Mapping[str, Any] | None = None) -> Action:
    """The action whose parameters ``params`` are (an entry of a parsed scenario's timeline);
    ``written``: that entry as the file gives it."""
    return ACTIONS[params.do](params, written)
