"""A scenario's prediction: simulate it, judge it, and say why in a few lines.

    prediction = predict_scenario(load_scenario("experiments/retry-storm.yaml"))
    prediction.verdict    # "metastable"
    print(prediction.text())   # ends with "verdict: metastable"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.from_scenario import inputs_from_scenario
from model.inputs import ModelInputs
from model.simulate import simulate
from model.trace import Trace
from model.verdict import Verdict, judge


@dataclass(frozen=True)
class Phase:
    """A stretch of the run and what the model saw in it."""

    name: str
    start: float
    end: float
    demand: float  # logical requests/s
    goodput: float
    attempts_per_request: float | None
    setups: float  # attempts/s arriving for a setup at the capacity device
    wasted: float  # setups/s for clients already gone


@dataclass(frozen=True)
class Prediction:
    inputs: ModelInputs
    trace: Trace
    verdict_detail: Verdict
    phases: tuple[Phase, ...]

    @property
    def verdict(self) -> str:
        return self.verdict_detail.verdict

    def text(self) -> str:
        return "\n".join(describe(self))


def predict_scenario(scenario: Any, stack: Any = None, seed: int | None = None) -> Prediction:
    return predict(inputs_from_scenario(scenario, stack), seed)


def predict(inputs: ModelInputs, seed: int | None = None) -> Prediction:
    trace = simulate(inputs, seed)
    return Prediction(inputs, trace, judge(inputs, trace), phases(inputs, trace))


def phases(inputs: ModelInputs, trace: Trace) -> tuple[Phase, ...]:
    """before the trigger, during it, after it (to the first action), after each action."""
    trigger = inputs.trigger
    if trigger is None:
        spans = [("the run", inputs.warmup, inputs.end)]
    else:
        stop = trigger.at + trigger.duration
        first = inputs.actions[0].at if inputs.actions else inputs.end
        spans = [("before the trigger", inputs.warmup, trigger.at), ("during the trigger", trigger.at, stop),
                 ("after the trigger", stop, first)]
        for index, action in enumerate(inputs.actions):
            until = inputs.actions[index + 1].at if index + 1 < len(inputs.actions) else inputs.end
            if until > action.at:
                names = [a.name for a in inputs.actions[:index + 1] if a.at == action.at]
                spans.append((f"after {' + '.join(names)}", action.at, until))
    device = inputs.capacity_device
    key = f"setups:{device}" if device is not None else "setups"
    return tuple(Phase(name, start, end, trace.mean("demand", start, end) or 0.0,
                       trace.mean("goodput", start, end) or 0.0,
                       trace.ratio("attempts", "demand", start, end),
                       trace.mean(key, start, end) or 0.0, trace.mean("wasted", start, end) or 0.0)
                 for name, start, end in spans if end > start)


def describe(p: Prediction) -> list[str]:
    inputs, capacity = p.inputs, p.inputs.capacity
    lines = [f"model prediction for {inputs.name}"]
    device = inputs.capacity_device
    if device is not None and capacity:
        spec = inputs.devices[device]
        lines.append(f"device {device}: {_n(capacity)} connection setups/s (burst {_n(spec.setup_burst)}), "
                     f"backlog {spec.backlog} for at most {_n(spec.backlog_timeout, 1)} s")
    profiles = ", ".join(f"{profile.policy.name} ({_n(profile.attempt_timeout, 1)} s attempt timeout, "
                         f"{_n(profile.deadline, 1)} s deadline"
                         f"{', a new connection per attempt' if not profile.reuse_connections else ''})"
                         for profile in inputs.clients.profiles)
    lines.append(f"clients: {inputs.clients.count}, {profiles}")
    baseline = p.verdict_detail.baseline
    if baseline is not None:
        share = f", {baseline / capacity:.0%} of capacity" if capacity else ""
        lines.append(f"baseline goodput: {_n(baseline, 1)} req/s{share}")
    for phase in p.phases:
        lines.append(_phase_line(phase, capacity))
    lines.append(f"why: {_why(p)}")
    lines.append(f"verdict reason: {p.verdict_detail.reason}")
    lines.append(f"verdict: {p.verdict}")
    return lines


def _phase_line(phase: Phase, capacity: float | None) -> str:
    amplification = "n/a" if phase.attempts_per_request is None else _n(phase.attempts_per_request, 2)
    offered = f"{_n(phase.setups)} setups/s offered"
    if capacity:
        offered += f" against {_n(capacity)} ({phase.setups / capacity:.1f}x capacity)"
    wasted = f", {_n(phase.wasted)} setups/s wasted on clients gone" if phase.wasted >= 0.5 else ""
    return (f"{phase.name} ({_n(phase.start)}-{_n(phase.end)} s): demand {_n(phase.demand, 1)} req/s, "
            f"{amplification} attempts/request, {offered}, goodput {_n(phase.goodput, 1)} req/s{wasted}")


def _why(p: Prediction) -> str:
    inputs, capacity = p.inputs, p.inputs.capacity
    if inputs.trigger is None or not capacity:
        last = p.phases[-1]
        return (f"{_n(last.setups)} setups/s against {_n(capacity or 0)}: the backlog stays short, attempts "
                "finish inside their timeout, nothing feeds back")
    verdict, last = p.verdict, p.phases[-1]
    offered = (f"{_n(last.demand, 1)} req/s at {_n(last.attempts_per_request or 0, 2)} attempts each offer "
               f"{inputs.capacity_device} {_n(last.setups)} setups/s")
    if verdict == "stable":
        return "the trigger never built the setup backlog past the clients' timeout: goodput held"
    if verdict == "recovered":
        return (f"{last.name}, {offered} against {_n(capacity)}: below capacity, so the backlog drains "
                "and attempts are served inside their timeout again")
    if last.setups > capacity:
        return (f"{last.name}, {offered} against {_n(capacity)}: every setup comes after its client's "
                "timeout, every attempt fails and is retried, so the overload sustains itself")
    return (f"{last.name}, {offered} against {_n(capacity)}: below capacity, but the backlog did not drain "
            "within the time the verdict allows")


def _n(value: float, digits: int = 0) -> str:
    """A number as people read it: no sign on a zero."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text
