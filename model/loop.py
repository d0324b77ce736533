"""The hysteresis loop: offered load ramped slowly up past the device's capacity and back
down; goodput against load, both as fractions of capacity (the device's setup rate).

A ramp slow enough for the state to settle at every load has two branches. Going up, the
system is healthy until the load itself exceeds capacity: it collapses near capacity.
Coming down, it stays collapsed while ``load x attempts per request`` exceeds capacity, and
recovers only below ``capacity / attempts``. Each branch at a load is where the system ends
when held there: healthy at the start for the rising branch, collapsed at the start for the
falling one (the device's setups stopped for a moment, as a trigger). So the loop's edges
are found by bisection on those two experiments rather than by stepping through every load:

- ``collapse_load``: the least load at which a healthy system, held ``hold`` seconds,
  collapses (goodput below half the load over the last seconds);
- ``recovery_load``: the greatest load at which a collapsed system, held ``hold`` seconds
  after the trigger, recovers (goodput back above half the load).

``ramp`` is the literal staircase, each load held a fixed time: its loop is wider, by the
time a queue takes to build and to drain near the edges.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from model.inputs import Action, ModelInputs, SetClientCount, SetDevice
from model.simulate import Simulation

COLLAPSED = 0.5  # goodput below this share of the load counts as collapsed
JUDGED_SECONDS = 5.0  # the last seconds of a hold that decide its state
OUTAGE_SECONDS = 10.0  # the falling branch's trigger: the device sets up (almost) nothing
OUTAGE_SHARE = 0.01
WARMUP_SECONDS = 10.0


@dataclass(frozen=True)
class Loop:
    policy: str
    collapse_load: float | None  # None: no collapse up to the highest load tried
    recovery_load: float | None  # None: no recovery down to the lowest load tried

    @property
    def width(self) -> float | None:
        if self.collapse_load is None or self.recovery_load is None:
            return None
        return self.collapse_load - self.recovery_load


@dataclass(frozen=True)
class Step:
    load: float  # logical requests/s started, over capacity
    goodput: float  # succeeded, over capacity
    rising: bool


def loop_inputs(lab: ModelInputs, policy: Any | None = None) -> ModelInputs:
    """``lab`` without its trigger or actions, every profile on ``policy`` (a contract
    parameter class; None: the lab's own), and without the membership poll: a poll waits for
    the last one to end, a closed loop whose load falls as the system collapses, so the loop's
    load is the open-loop arrivals alone."""
    clients = dataclasses.replace(lab.clients, poll=None)
    if policy is not None:
        clients = dataclasses.replace(clients, profiles=tuple(
            dataclasses.replace(profile, policy=policy) for profile in clients.profiles))
    return dataclasses.replace(lab, name=f"{lab.name}-loop", clients=clients, trigger=None, actions=(),
                               warmup=0.0)


def hysteresis(lab: ModelInputs, policy: Any | None = None, *, hold: float = 60.0, low: float = 0.02,
               high: float = 1.5, tolerance: float = 0.02, seed: int | None = None) -> Loop:
    """The loop's two edges for ``lab``'s clients on ``policy``, to ``tolerance``."""
    inputs = loop_inputs(lab, policy)
    name = inputs.clients.profiles[0].policy.name
    collapse = _least(lambda load: collapses(inputs, load, hold, seed), low, high, tolerance)
    top = collapse if collapse is not None else high
    recovery = _greatest(lambda load: recovers(inputs, load, hold, seed), low, top, tolerance)
    return Loop(name, collapse, recovery)


def collapses(inputs: ModelInputs, load: float, hold: float, seed: int | None = None) -> bool:
    """A healthy system held at ``load`` (of capacity): collapsed at the end?"""
    run = _held(inputs, load, WARMUP_SECONDS + hold, ())
    return _collapsed(Simulation(run, seed).run(), run.end)


def recovers(inputs: ModelInputs, load: float, hold: float, seed: int | None = None) -> bool:
    """A system collapsed by a short device outage, then held at ``load``: recovered?"""
    device = _capacity_device(inputs)
    spec = inputs.devices[device]
    cut = dataclasses.replace(spec, setups_per_second=spec.setups_per_second * OUTAGE_SHARE, setup_burst=1.0)
    start = WARMUP_SECONDS
    actions = (Action(start, "outage", (SetDevice(device, cut),)),
               Action(start + OUTAGE_SECONDS, "restored", (SetDevice(device, spec),)))
    run = _held(inputs, load, start + OUTAGE_SECONDS + hold, actions)
    return not _collapsed(Simulation(run, seed).run(), run.end)


def ramp(lab: ModelInputs, policy: Any | None = None, *, low: float = 0.05, high: float = 1.25,
         step: float = 0.05, hold: float = 10.0, seed: int | None = None,
         settled_share: float = 0.5) -> list[Step]:
    """The staircase: up from ``low`` to ``high`` and back, each load held ``hold`` s and
    measured over the last ``settled_share`` of it."""
    inputs = loop_inputs(lab, policy)
    levels = [low + index * step for index in range(round((high - low) / step) + 1)]
    counts = [_count(inputs, level) for level in levels]
    counts += counts[-2::-1]
    actions = tuple(Action(index * hold, f"step-{index}", (SetClientCount(count, 1000.0),))
                    for index, count in enumerate(counts))
    run = dataclasses.replace(inputs, clients=dataclasses.replace(inputs.clients, count=counts[0]),
                              actions=actions, end=len(counts) * hold)
    trace = Simulation(run, seed).run()
    capacity = inputs.capacity
    steps = []
    for index in range(len(counts)):
        start, end = (index + 1 - settled_share) * hold, (index + 1) * hold
        steps.append(Step((trace.mean("demand", start, end) or 0.0) / capacity,
                          (trace.mean("goodput", start, end) or 0.0) / capacity, index < len(levels)))
    return steps


def _held(inputs: ModelInputs, load: float, end: float, actions: tuple) -> ModelInputs:
    clients = dataclasses.replace(inputs.clients, count=_count(inputs, load), spawn_rate=1000.0)
    return dataclasses.replace(inputs, clients=clients, actions=actions, end=end)


def _collapsed(trace, end: float) -> bool:
    demand = trace.mean("demand", end - JUDGED_SECONDS, end) or 0.0
    goodput = trace.mean("goodput", end - JUDGED_SECONDS, end) or 0.0
    return goodput < COLLAPSED * demand


def _count(inputs: ModelInputs, load: float) -> int:
    """Clients whose requests, healthy, are ``load`` times capacity."""
    clients = inputs.clients
    return max(1, round(load * _capacity(inputs) / clients.requests_per_second))


def _capacity(inputs: ModelInputs) -> float:
    capacity = inputs.capacity
    if not capacity:
        raise ValueError("the lab's clients cross no device with a setup rate: no capacity to ramp past")
    return capacity


def _capacity_device(inputs: ModelInputs) -> str:
    _capacity(inputs)
    return inputs.capacity_device


def _least(test, low: float, high: float, tolerance: float) -> float | None:
    """The least x in [low, high] where ``test`` holds (it holds above it): None if not at high."""
    if not test(high):
        return None
    if test(low):
        return low
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (low, middle) if test(middle) else (middle, high)
    return (low + high) / 2


def _greatest(test, low: float, high: float, tolerance: float) -> float | None:
    """The greatest x in [low, high] where ``test`` holds (it holds below it): None if not at low."""
    if not test(low):
        return None
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (middle, high) if test(middle) else (low, middle)
    return (low + high) / 2
