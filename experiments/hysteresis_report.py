"""A hysteresis run's own part of its report: the loop drawn (plots/loop.png) and its two loads.

The loop is measured again from run.json and series.csv, as every figure is: the ramp's
levels come from the scenario as it ran (its file, validated and scaled the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from experiments.figures import loop_of_run
from experiments.hysteresis_loop import Loop
from experiments.hysteresis_plot import draw_loop, save
from experiments.model_view import predicted_loop
from experiments.report_text import text
from experiments.run_record import RunRecord
from experiments.series_math import Series
from stormlab_common.config import ConfigError
from stormlab_common.scenario import Scenario, parse_scenario

FILE = "loop.png"
LOOP_FIGURES = ("collapse_load", "recovery_load", "loop_width")


def ramp_scenario(record: RunRecord) -> Scenario | None:
    """The scenario the record ran, when it is a hysteresis run; None otherwise."""
    if not record.scenario.raw.get("ramp"):
        return None
    try:
        return parse_scenario(record.scenario.raw, record.time_scale, record.scenario.file)
    except ConfigError:
        return None  # a record from a scenario format since changed: no loop, the rest still reports


def loop_of_record(record: RunRecord, series: dict[str, Series]) -> tuple[Scenario, Loop] | None:
    scenario = ramp_scenario(record)
    if scenario is None:
        return None
    inputs = [series.get(name, []) for name in ("demand", "goodput", "capacity")]
    return scenario, loop_of_run(scenario, *inputs)


def render_loop(record: RunRecord, series: dict[str, Series], plots_dir: Path) -> str | None:
    """Draws plots/loop.png for a hysteresis run; its file name, or None for any other run."""
    found = loop_of_record(record, series)
    target = Path(plots_dir) / FILE
    if found is None:
        target.unlink(missing_ok=True)
        return None
    scenario, loop = found
    target.parent.mkdir(parents=True, exist_ok=True)
    save(draw_loop(f"{scenario.name}: goodput against offered load", loop, predicted_loop(scenario),
                   attempts_per_request=attempts_per_request(scenario)), target)
    return FILE


def loop_section(record: RunRecord, file: str | None, image_src: Callable[[str], str]) -> str:
    if file is None:
        return ""
    figures = record.figures or {}
    collapse, recovery, width = (figures.get(name) for name in LOOP_FIGURES)

    def said(figure) -> str:
        return "none" if figure is None or figure.value is None else f"{figure.value:.2f}"

    return "\n\n".join([
        "## The hysteresis loop",
        text(f"Each point is one level of the ramp: the offered load (the clients' first tries) and the "
             f"goodput over the settled part of its hold, both as fractions of the device's capacity. "
             f"Goodput collapsed at {said(collapse)} x capacity on the way up and was back for good at "
             f"{said(recovery)} on the way down: loop width {said(width)}. Each load is where the staircase "
             f"turned, the mean of the two levels' loads either side of it (the edge lies between them). "
             f"Between those two loads the system holds either state, and which one depends on where it "
             f"came from."),
        f"![the hysteresis loop]({image_src(file)})",
    ])


def attempts_per_request(scenario: Scenario) -> float | None:
    """Attempts per request once every attempt fails: the policy's cap, or deadline / timeout."""
    profiles = scenario.client_config.get("clients", {})
    for profile in profiles.values():
        policy = profile.get("policy", {})
        if policy.get("name") == "fixed":
            return float(policy.get("max_attempts", 3))
        if policy.get("name") == "naive":
            return profile.get("deadline_seconds", 5.0) / profile.get("attempt_timeout_seconds", 1.0)
    return None
