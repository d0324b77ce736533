"""A hysteresis scenario's prediction (a file with ``ramp:``): the model walks the run's own
staircase (its levels and holds, model/loop.py ``ramp``), reads the loop off it with the rules
the runner uses on the measured one (stormlab_common/loop_rule.py), and judges it by the
ramp's ``metastable_width``.

    prediction = predict_loop(load_scenario("experiments/hysteresis/fixed.yaml"))
    prediction.verdict         # "metastable"
    print(prediction.text())   # the staircase, the two loads, and "verdict: metastable"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.from_scenario import inputs_from_scenario
from model.loop import Step, ramp
from stormlab_common.loop_rule import StairPoint, edges, loop_verdict


@dataclass(frozen=True)
class LoopPrediction:
    name: str
    policy: str
    hold: float  # seconds each level is held
    steps: tuple[Step, ...]
    collapse_load: float | None
    recovery_load: float | None
    metastable_width: float
    down_fraction: float  # a level whose goodput is below this share of its load is down

    @property
    def width(self) -> float | None:
        if self.collapse_load is None:
            return 0.0
        return None if self.recovery_load is None else self.collapse_load - self.recovery_load

    @property
    def verdict(self) -> str:
        return loop_verdict(self.collapse_load, self.recovery_load, self.metastable_width)

    def text(self) -> str:
        lines = [f"model prediction for {self.name}: the hysteresis loop of {self.policy}, "
                 f"each level held {self.hold:g} s"]
        lines += [f"  {'up  ' if s.rising else 'down'} load {s.load:.3f}  goodput {s.goodput:.3f}"
                  f"{'  (down)' if s.goodput < self.down_fraction * s.load else ''}" for s in self.steps]
        lines.append(f"collapse_load: {_fraction(self.collapse_load)}")
        lines.append(f"recovery_load: {_fraction(self.recovery_load)}")
        width = self.width
        lines.append(f"loop width: {'never closed on the ramp' if width is None else f'{width:.3f}'} "
                     f"(metastable from {self.metastable_width:g})")
        lines.append(f"verdict: {self.verdict}")
        return "\n".join(lines)


def predict_loop(scenario: Any, seed: int | None = None) -> LoopPrediction:
    """``scenario``: a loaded scenario with a ramp (``scenario.ramp`` its levels as run)."""
    spec, levels = scenario.spec.ramp, scenario.ramp
    if not levels:
        raise ValueError(f"{scenario.name} has no ramp: predict_scenario judges it as a triggered run")
    inputs = inputs_from_scenario(scenario)
    hold = levels[0].end - levels[0].start
    steps = tuple(ramp(inputs, low=spec.low, high=spec.high, step=spec.step, hold=hold,
                       seed=scenario.seed if seed is None else seed, settled_share=spec.settled_share))
    collapse, recovery = edges([StairPoint(s.load, s.goodput, s.rising) for s in steps],
                               scenario.down_fraction)
    policies = ", ".join(sorted({p.policy.name for p in inputs.clients.profiles}))
    return LoopPrediction(scenario.name, policies, hold, steps, collapse, recovery, spec.metastable_width,
                          scenario.down_fraction)


def _fraction(value: float | None) -> str:
    return "none" if value is None else f"{value:.3f} of capacity"
