"""Disable the heaviest sources: stop a fraction of the client population, as the operators
identified and disabled the clients driving the surge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from stormlab_common.model import Meta
from stormlab_common.scenario.actions.base import Action, Lab, Step


@dataclass(frozen=True, kw_only=True)
class DisableSourcesParams(Step):
    do: Literal["disable_sources"]
    fraction: Annotated[float, Meta(gt=0, le=1, description="share of the running clients to stop")]


class DisableSources(Action):
    name = "disable_sources"
    Params = DisableSourcesParams

    def describe(self) -> str:
        return f"disable {self.params.fraction:.0%} of the client sources"

    def apply(self, lab: Lab) -> None:
        lab.set_client_count(round(lab.client_count * (1 - self.params.fraction)))
