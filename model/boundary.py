"""The map: for one policy, baseline load (fraction of capacity) x trigger size, each cell
stable, recovered or metastable; and its predicted boundary, the smallest trigger that tips
a baseline into metastability.

The physics: a trigger tips the system when it builds the device's setup backlog past the
clients' timeout (then every attempt fails); it stays tipped if the baseline load times the
attempts per failing request exceeds capacity. Below ``capacity / attempts`` no trigger
tips it (the boundary is None); above, a surge of factor ``f`` for ``D`` seconds roughly
needs ``(f x load - 1) x D`` above one timeout's worth of capacity.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from model.inputs import ModelInputs, Trigger
from model.simulate import simulate
from model.verdict import judge

AXES = ("surge_factor", "duration")


def at_load(lab: ModelInputs, load: float, policy: Any | None = None) -> ModelInputs:
    """``lab`` with as many clients as make ``load`` times capacity (arrivals and membership
    polls, healthy), every profile on ``policy`` (None: the lab's own)."""
    clients = lab.clients
    capacity = lab.capacity
    if not capacity:
        raise ValueError("the lab's clients cross no device with a setup rate")
    per_client = clients.requests_per_second + (1.0 / clients.poll.seconds if clients.poll else 0.0)
    count = max(1, round(load * capacity / per_client))
    profiles = clients.profiles if policy is None else tuple(
        dataclasses.replace(profile, policy=policy) for profile in clients.profiles)
    return dataclasses.replace(lab, clients=dataclasses.replace(clients, count=count, spawn_rate=max(
        clients.spawn_rate, count), profiles=profiles))


def with_trigger(inputs: ModelInputs, axis: str, size: float) -> ModelInputs:
    """``inputs`` with its trigger's ``axis`` (surge_factor or duration) set to ``size``; the
    surge is then a number of times the baseline population, so it grows with the load."""
    if inputs.trigger is None:
        raise ValueError("the lab has no trigger to size")
    if axis not in AXES:
        raise ValueError(f"axis: expected one of {', '.join(AXES)}, got {axis!r}")
    trigger: Trigger = dataclasses.replace(inputs.trigger, **{axis: size})
    shift = trigger.duration - inputs.trigger.duration  # later events keep their distance from its end
    actions = tuple(dataclasses.replace(action, at=action.at + shift) for action in inputs.actions)
    return dataclasses.replace(inputs, trigger=trigger, actions=actions, end=inputs.end + shift)


def cell(lab: ModelInputs, load: float, size: float, policy: Any | None = None,
         axis: str = "surge_factor", seed: int | None = None) -> str:
    """The verdict of one cell of the map."""
    inputs = with_trigger(at_load(lab, load, policy), axis, size)
    return judge(inputs, simulate(inputs, seed)).verdict


def tipping_size(lab: ModelInputs, load: float, policy: Any | None = None, *, axis: str = "surge_factor",
                 low: float | None = None, high: float | None = None, tolerance: float = 0.1,
                 seed: int | None = None) -> float | None:
    """The smallest trigger size (to ``tolerance``) that makes ``load`` metastable; None if
    even ``high`` does not."""
    low = (1.0 if axis == "surge_factor" else 0.5) if low is None else low
    high = (8.0 if axis == "surge_factor" else 30.0) if high is None else high

    def tips(size: float) -> bool:
        return cell(lab, load, size, policy, axis, seed) == "metastable"

    if not tips(high):
        return None
    if tips(low):
        return low
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (low, middle) if tips(middle) else (middle, high)
    return high


def boundary(lab: ModelInputs, loads: list[float], policy: Any | None = None,
             **options) -> dict[float, float | None]:
    """The predicted boundary: for each load, the smallest trigger that tips it."""
    return {load: tipping_size(lab, load, policy, **options) for load in loads}
