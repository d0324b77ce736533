"""What the model (model/, docs/model.md) predicts for a run, for the report to show beside
the measured verdict. The model reads the scenario as the run recorded it; a model that
cannot say (a record from a format since changed, any failure) says nothing, and the report
is written all the same."""

from __future__ import annotations

from experiments.run_record import RunRecord
from stormlab_common.scenario import Scenario, parse_scenario


def predicted_verdict(scenario: Scenario) -> str | None:
    if scenario.ramp:  # a hysteresis run: the verdict of the loop the model walks
        from model.loop_prediction import predict_loop

        return predict_loop(scenario).verdict
    from model.predict import predict_scenario

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
        from model.loop_prediction import predict_loop

        steps = predict_loop(scenario).steps
    except Exception:  # the prediction is an aside: never the reason a plot is missing
        return None
    rising = [(step.load, step.goodput) for step in steps if step.rising]
    falling = rising[-1:] + [(step.load, step.goodput) for step in steps if not step.rising]
    return Prediction(rising, falling, "model (the same staircase)")


def predicted_loop_line(scenario: Scenario) -> str:
    """The model's loop for a hysteresis run, in one cell: "1.10 / 0.92 (0.17): recovered"."""
    try:
        from model.loop_prediction import predict_loop

        found = predict_loop(scenario)
    except Exception:  # the prediction is an aside: never the reason a summary is missing
        return "none"
    width = "never closed" if found.width is None else f"{found.width:.2f}"
    return f"{_load(found.collapse_load)} / {_load(found.recovery_load)} ({width}): {found.verdict}"


def _load(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"
