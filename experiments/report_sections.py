"""The sections of a run's report, each from the run's record alone (experiments/run_record.py).

A run that stopped early has sections with nothing to show; each says so rather than
vanishing, and the warning at the top names what the record is missing.
"""

from __future__ import annotations

from datetime import datetime

from experiments.container_cpu import ALL_CONTAINERS
from experiments.model_view import predicted_for_record
from experiments.numbers import MISSING, figure, formatted, is_number
from experiments.report_text import cell, figure_value, table, text, verdict_facts
from experiments.run_record import CheckResult, RunRecord

# The figures in the order a reader needs them; the others follow in the record's order.
FIGURE_ORDER = ("baseline_goodput", "goodput_during", "goodput_after", "goodput_after_ratio",
                "retry_amplification", "retry_amplification_after", "wasted_work", "time_to_recover",
                "peak_connection_attempts", "connection_setup_limit", "capacity")
CHECK_HEADER = ["check", "window", "measured", "value", "operator", "threshold", "passed"]


def title(record: RunRecord) -> str:
    verdict, _, _ = verdict_facts(record)
    return f"{record.scenario.name}: {verdict or 'no verdict'}"


def missing_parts(record: RunRecord) -> list[str]:
    parts = [name for name in ("verdict", "figures", "checks") if getattr(record, name) is None]
    return [*parts, "timeline"] if not record.timeline else parts


def partial_warning(record: RunRecord) -> str:
    if record.status == "complete":
        return ""
    why = (record.error or "no error was recorded").rstrip(".")
    missing = missing_parts(record)
    gaps = f" Missing from run.json: {', '.join(missing)}." if missing else ""
    return (f"> **Warning: partial results.** The run's status is **{text(record.status)}**, "
            f"not complete: {text(why)}. The figures below cover only what was measured before it "
            f"stopped.{gaps}")


def verdict_box(record: RunRecord) -> str:
    verdict, expected, matches = verdict_facts(record)
    outcome = {True: "PASS", False: "FAIL", None: "FAIL (no verdict)"}[matches]
    reason = (record.verdict.reason if record.verdict
              else "The run produced no verdict (it ended before the analysis).")
    predicted = predicted_for_record(record)
    model = ("" if predicted is None else
             f" · the model predicted: {text(predicted)} ({'agrees' if predicted == verdict else 'differs'})")
    return "\n>\n".join([
        f"> **Verdict: {text(verdict or 'none')}** · expected: {text(expected)} · **{outcome}**{model}",
        f"> {text(reason or 'No reason given.')}",
    ])


def expectation(record: RunRecord) -> str:
    expect = record.scenario.expect
    return f"## Why we expect {text(expect.verdict)}\n\n{text(expect.reasoning)}"


def figures_table(record: RunRecord) -> str:
    figures = record.figures
    if not figures:
        return "## Summary figures\n\n_No summary figures: the run ended before they were computed._"
    names = [name for name in FIGURE_ORDER if name in figures]
    names += [name for name in figures if name not in FIGURE_ORDER]
    rows = [[cell(name), figure_value(figures[name]), cell(figures[name].meaning)] for name in names]
    return "## Summary figures\n\n" + table(["figure", "value", "meaning"], rows)


def threshold(check: CheckResult) -> str:
    """The threshold as written and, when it is a fraction of the baseline, what that came to."""
    if not check.relative_to_baseline:
        return figure(check.threshold)
    absolute = "no baseline" if check.absolute_threshold is None else figure(check.absolute_threshold)
    return f"{figure(check.threshold)} x baseline = {absolute}"


def checks_table(record: RunRecord) -> str:
    if record.checks is None:
        return "## Hypothesis checks\n\n_No hypothesis checks: the run ended before they were evaluated._"
    if not record.checks:
        return "## Hypothesis checks\n\n_The scenario states no hypothesis checks._"
    rows = [[cell(check.name), cell(check.window), cell(f"{check.aggregate}({check.measured})"),
             figure(check.value), f"`{check.operator}`", cell(threshold(check)),
             "PASS" if check.passed else "FAIL"] for check in record.checks]
    return "## Hypothesis checks\n\n" + table(CHECK_HEADER, rows)


def _seconds(value) -> str:
    # Two decimals: the gap between planned and executed times is often tens of milliseconds.
    return formatted(value, ".2f") + " s" if is_number(value) else MISSING


def timeline_table(record: RunRecord) -> str:
    if not record.timeline:
        return "## Timeline as executed\n\n_No timeline recorded._"
    rows = []
    for event in record.timeline:
        detail = event.detail
        if not event.ok:
            detail = f"{detail} (FAILED: {event.error or 'no error recorded'})".strip()
        rows.append([_seconds(event.planned_seconds), _seconds(event.executed_seconds),
                     cell(event.name), cell(event.action), cell(detail)])
    header = ["planned at", "executed at", "event", "action", "detail"]
    return "## Timeline as executed\n\n" + table(header, rows)


def _duration(record: RunRecord) -> str:
    if record.ended_at is None:
        return MISSING
    ended, started = datetime.fromisoformat(record.ended_at), datetime.fromisoformat(record.started_at)
    seconds = (ended - started).total_seconds()
    return f"{formatted(seconds, '.0f')} s"


def run_facts(record: RunRecord) -> str:
    versions = record.versions
    images = ", ".join(f"{name} {digest}" for name, digest in versions.images.items())
    status = record.status
    if status != "complete":
        status = f"{status}: PARTIAL RESULTS ({record.error or 'no error recorded'})"
    rows = [["scenario file", cell(record.scenario.file)],
            ["seed", cell(record.seed)],
            ["time scale", cell(f"{record.time_scale:g}")],
            ["load generator workers", cell(record.workers)],
            ["stormlab", cell(versions.stormlab)],
            ["python", cell(versions.python)],
            ["images", cell(images)],
            ["started", cell(record.started_at)],
            ["ended", cell(record.ended_at)],
            ["duration", _duration(record)],
            ["status", cell(status)]]
    facts = "## Run facts\n\n" + table(["fact", "value"], rows)
    # The runner notes what it could not do (a series not recorded, a setting not restored).
    notes = [note for note in record.notes if note]
    if notes:
        facts += "\n\nNotes from the runner:\n\n" + "\n".join(f"- {cell(note)}" for note in notes)
    return facts


def cpu_table(record: RunRecord) -> str:
    """Each container's CPU (the Docker API, once a second): whether the machine's CPU, rather
    than the device's limits, could have set the rates the report shows."""
    cpu = record.cpu
    if cpu is None or not cpu.run:
        return ""
    rows = []
    # the sum, last, against the machine's cores; each container against one core
    order = sorted(cpu.run.items(), key=lambda item: (item[0] == ALL_CONTAINERS, -item[1].peak_cores))
    for name, busy in order:
        during = cpu.during.get(name)
        peak = during.peak_cores if during is not None else busy.peak_cores
        if name == ALL_CONTAINERS:
            limit = cpu.saturated_at_cores * cpu.machine_cores if cpu.machine_cores else None
            label = f"{name}, of {cpu.machine_cores} cores" if cpu.machine_cores else name
        else:
            limit, label = cpu.saturated_at_cores, name
        rows.append([cell(label), formatted(busy.mean_cores, ".2f"), formatted(busy.peak_cores, ".2f"),
                     _seconds(busy.peak_at),
                     formatted(during.peak_cores, ".2f") if during is not None else MISSING,
                     MISSING if limit is None else "yes" if peak >= limit else "no"])
    saturated = [row[0] for row in rows if row[-1] == "yes"]
    verdict = (f"Saturated at the trigger (a busiest second of at least {cpu.saturated_at_cores:g} of a "
               f"core, or of the machine's cores for the sum): {', '.join(saturated)}: the machine, not only "
               "the device, may have shaped this run."
               if saturated else
               f"No container reached {cpu.saturated_at_cores:g} of a core at the trigger, nor all of them "
               "together that share of the machine's cores: the device's limits, not the machine's CPU, set "
               "the rates.")
    header = ["container", "mean cores", "busiest second", "at", "busiest second, trigger", "saturated"]
    return ("## Containers' CPU\n\nFrom the Docker API, once a second; 1.00 is one core busy the whole "
            "second.\n\n" + table(header, rows) + "\n\n" + verdict)
