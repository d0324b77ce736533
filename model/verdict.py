"""The verdict of a simulated run, by the rule experiments/verdict.py (and
experiments/figures.py's ``fall_and_recovery``) applies to a measured one, restated here in a
few lines so the model imports nothing of the runner:

- goodput is a 6 s rate sampled each second (as Prometheus gives it), judged on its 4 s
  trailing mean; the baseline is the rate's mean from the warmup to the trigger;
- **stable**: it never fell below ``down_fraction`` x baseline after the trigger began
  (without a trigger: never, once the first 4 s mean covers only the baseline);
- **recovered**: it fell, and from a moment within ``recover_within`` of the trigger's end
  (or the last action) it stayed above the line to the end (for at least the last 4 s);
- **metastable**: otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.inputs import ModelInputs
from model.trace import Trace, rate_series
from stormlab_common.recovery import SMOOTHING_SECONDS, back_for_good, smoothed


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str
    baseline: float | None  # req/s
    recovered_at: float | None  # seconds since the start: back above the line for good


Series = list[tuple[float, float]]


def judge(inputs: ModelInputs, trace: Trace) -> Verdict:
    rate = rate_series(trace.counts["goodput"])
    goodput = smoothed(rate)
    trigger, rules = inputs.trigger, inputs.rules
    until = trigger.at if trigger is not None else inputs.end
    samples = [v for t, v in rate if inputs.warmup <= t <= until]
    baseline = sum(samples) / len(samples) if samples else None
    if not baseline:
        return Verdict("metastable", "no goodput before the trigger: no baseline", baseline, None)
    line = rules.down_fraction * baseline
    if trigger is None:
        lowest = min((v for t, v in goodput if inputs.warmup + SMOOTHING_SECONDS <= t <= inputs.end),
                     default=baseline)
        if lowest >= line:
            return Verdict("stable", f"no trigger; goodput held at {baseline:.1f} req/s (lowest 4 s mean "
                                     f"{lowest:.1f}, line {line:.1f})", baseline, None)
        return Verdict("metastable", f"with no trigger, goodput fell to {lowest:.1f} req/s", baseline, None)
    inside = [(t, v) for t, v in goodput if trigger.at <= t <= inputs.end]
    if not any(v < line for _, v in inside):
        low = min((v for _, v in inside), default=baseline)
        return Verdict("stable", f"goodput never fell below {line:.1f} req/s ({rules.down_fraction:.0%} of "
                                 f"{baseline:.1f}); lowest {low:.1f}", baseline, None)
    recovered_at = back_for_good(inside, line, inputs.end)
    reference = inputs.recovery_reference()
    allowed = min(rules.recover_within, inputs.end - reference)
    since = "the last action" if inputs.actions else "the trigger ended"
    if recovered_at is not None and recovered_at - reference <= allowed:
        return Verdict("recovered", f"goodput fell below {line:.1f} req/s and was back above it for good "
                                    f"{max(0.0, recovered_at - reference):.0f} s after {since} (allowed "
                                    f"{allowed:.0f} s)", baseline, recovered_at)
    if recovered_at is not None:
        return Verdict("metastable", f"goodput fell below {line:.1f} req/s and came back only "
                                     f"{recovered_at - reference:.0f} s after {since} "
                                     f"(allowed {allowed:.0f} s)", baseline, recovered_at)
    best = max((v for t, v in inside if t >= reference + SMOOTHING_SECONDS), default=0.0)
    return Verdict("metastable", f"goodput fell below {line:.1f} req/s and, with the trigger gone, never "
                                 f"came back for good (best 4 s mean {best:.1f} in the "
                                 f"{inputs.end - reference:.0f} s after {since})", baseline, None)
