"""What the model (model/, docs/model.md) predicts for a run, for the report to show beside
the measured verdict. The model reads the scenario as the run recorded it; a model that
cannot say (a hysteresis run, a record from a format since changed, any failure) says
nothing, and the report is written all the same."""

from __future__ import annotations

from experiments.run_record import RunRecord
from stormlab_common.scenario import Scenario, parse_scenario


def predicted_verdict(scenario: Scenario) -> str | None:
    from model.predict import predict_scenario

    if scenario.ramp:  # the model predicts verdicts of triggered runs; a loop has its own figures
        return None
    return predict_scenario(scenario).verdict


def predicted_for_record(record: RunRecord) -> str | None:
    try:
        return predicted_verdict(parse_scenario(record.scenario.raw, record.time_scale, record.scenario.file))
    except Exception:  # the prediction is an aside: never the reason a report is missing
        return None


def predicted_loop(scenario: Scenario):
    """The model's staircase for a hysteresis run, with the run's own levels and holds, as the
    loop plot's Prediction; None when the model cannot say."""
    from experiments.hysteresis_plot import Prediction

    try:
        from model.from_scenario import inputs_from_scenario
        from model.loop import ramp

        spec, levels = scenario.spec.ramp, scenario.ramp
        steps = ramp(inputs_from_scenario(scenario), low=spec.low, high=spec.high, step=spec.step,
                     hold=levels[0].end - levels[0].start, seed=scenario.seed)
    except Exception:  # the prediction is an aside: never the reason a plot is missing
        return None
    rising = [(step.load, step.goodput) for step in steps if step.rising]
    falling = rising[-1:] + [(step.load, step.goodput) for step in steps if not step.rising]
    return Prediction(rising, falling, "model (the same staircase)")
