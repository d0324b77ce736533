"""One run's report: report.md beside its PNGs, and a self-contained report.html.

The Markdown is written once, from run.json alone, and rendered twice: with relative image
links for report.md (readable in a repository browser), and with the images inlined as
data URIs for report.html, so the HTML can be mailed or attached to a ticket and still show
everything with no network and no sibling files.

A run that was interrupted or failed still gets a report: every section that has nothing
to show says so, and a warning at the top says the results are partial and why.

    python -m experiments.report RUN_DIR    # re-render an existing run
"""

from __future__ import annotations

import argparse
import base64
import html
import math
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import markdown

from experiments.plots import PLOTS_BY_NAME, render_plots
from experiments.results_io import (
    RunFileError,
    read_run,
    read_series_csv,
    write_json_atomic,
    write_text_atomic,
)

PLOTS_DIR = "plots"
SERIES_FILE = "series.csv"
# The runner's summary figures, in the order a reader needs them; others follow.
SUMMARY_ORDER = ("baseline_goodput", "goodput_during", "goodput_after", "goodput_after_ratio",
                 "retry_amplification", "retry_amplification_after", "wasted_work", "time_to_recover",
                 "peak_connection_attempts", "connection_setup_limit", "capacity")
MISSING = "—"

CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; border-left: 5px solid #888; background: #f7f7f7; }
img { max-width: 100%; height: auto; }
code { background: #f3f3f3; padding: 0 .2rem; }
"""


def write_report(run_dir: Path) -> None:
    """Renders run_dir's plots, report.md and report.html, and records them in run.json.
    Raises RunFileError if run.json is missing or invalid."""
    run_dir = Path(run_dir)
    run = read_run(run_dir)
    series, series_problem = {}, None
    try:
        series = read_series_csv(run_dir / SERIES_FILE)
    except RunFileError as exc:
        # A run that died before writing its samples still deserves a report saying so.
        series_problem = str(exc)
    plots = render_plots(run, series, run_dir / PLOTS_DIR)

    write_text_atomic(run_dir / "report.md",
                      render_markdown(run, plots, lambda file: f"{PLOTS_DIR}/{file}", series_problem))
    inlined = render_markdown(run, plots, lambda file: _data_uri(run_dir / PLOTS_DIR / file), series_problem)
    write_text_atomic(run_dir / "report.html", _html_page(_title(run), inlined))

    artifacts = run.get("artifacts") if isinstance(run.get("artifacts"), dict) else {}
    run["artifacts"] = {**artifacts, "report_md": "report.md", "report_html": "report.html",
                        "plots": {name: f"{PLOTS_DIR}/{file}" for name, file in plots.items()}}
    write_json_atomic(run_dir / "run.json", run)


def render_markdown(run: dict, plots: dict[str, str], image_src: Callable[[str], str],
                    series_problem: str | None = None) -> str:
    """The report as Markdown; image_src turns a plot's file name into the image reference."""
    sections = [
        f"# {text(_title(run))}",
        _partial_warning(run),
        text(_scenario(run).get("description") or "") or "_The scenario has no description._",
        _verdict_box(run),
        _expectation(run),
        _summary_table(run),
        _hypothesis_table(run),
        _timeline_table(run),
        _plots_section(plots, image_src, series_problem),
        _run_facts(run),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


# --- shared with summary.py ---------------------------------------------------------------

def verdict_facts(run: dict) -> tuple[str | None, str | None, bool | None]:
    """(verdict, expected verdict, matches); matches is None when there is nothing to compare."""
    block = _mapping(run.get("verdict"))
    verdict = block.get("verdict")
    expected = block.get("expected") or _mapping(_scenario(run).get("expect")).get("verdict")
    matches = block.get("matches")
    if not isinstance(matches, bool):
        matches = None if verdict is None or expected is None else verdict == expected
    return verdict, expected, matches


def format_number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return MISSING
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def format_value(entry) -> str:
    """A summary entry ({"value", "unit"}) as '59.8 req/s', or a dash when it has no value."""
    entry = entry if isinstance(entry, dict) else {"value": entry}
    number = format_number(entry.get("value"))
    unit = entry.get("unit") or ""
    if number == MISSING or not unit:
        return number
    return f"{number}{unit}" if unit in ("%", "x") or unit.startswith("/") else f"{number} {unit}"


def text(value) -> str:
    """Plain text made safe for Markdown and the HTML it becomes: markup characters are escaped,
    so a scenario's description can neither break a table nor pull in an outside resource."""
    escaped = str(value).replace("&", "&amp;").replace("<", "&lt;")
    escaped = re.sub(r"([\\`*\[\]|])", r"\\\1", escaped)
    return re.sub(r"(?<!\w)_|_(?!\w)", r"\\_", escaped)  # snake_case names stay readable


def cell(value) -> str:
    return text(value).replace("\r", " ").replace("\n", " ") if value not in (None, "") else MISSING


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- sections -----------------------------------------------------------------------------

def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _entries(value) -> list[dict]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _scenario(run: dict) -> dict:
    return _mapping(run.get("scenario"))


def _title(run: dict) -> str:
    verdict, _, _ = verdict_facts(run)
    return f"{_scenario(run).get('name') or 'unnamed scenario'}: {verdict or 'no verdict'}"


def _missing_sections(run: dict) -> list[str]:
    return [name for name in ("verdict", "summary", "hypothesis", "timeline") if not run.get(name)]


def _partial_warning(run: dict) -> str:
    status = run.get("status")
    if status == "complete":
        return ""
    why = str(run.get("error") or "no error was recorded").rstrip(".")
    missing = _missing_sections(run)
    gaps = f" Missing from run.json: {', '.join(missing)}." if missing else ""
    return (f"> **Warning: partial results.** The run's status is **{text(status or 'unknown')}**, "
            f"not complete: {text(why)}. The figures below cover only what was measured before it "
            f"stopped.{gaps}")


def _verdict_box(run: dict) -> str:
    verdict, expected, matches = verdict_facts(run)
    outcome = {True: "PASS", False: "FAIL", None: "FAIL (no verdict)" if verdict is None else "n/a"}[matches]
    reason = _mapping(run.get("verdict")).get("reason")
    if verdict is None:
        reason = reason or "The run produced no verdict (it ended before the analysis)."
    return "\n>\n".join([
        f"> **Verdict: {text(verdict or 'none')}** · expected: {text(expected or 'not stated')} · "
        f"**{outcome}**",
        f"> {text(reason or 'No reason given.')}",
    ])


def _expectation(run: dict) -> str:
    expect = _mapping(_scenario(run).get("expect"))
    reasoning = expect.get("reasoning")
    heading = f"## Why we expect {text(expect.get('verdict') or 'this outcome')}"
    return f"{heading}\n\n{text(reasoning) if reasoning else '_The scenario gives no reasoning._'}"


def _summary_table(run: dict) -> str:
    summary = _mapping(run.get("summary"))
    if not summary:
        return "## Summary figures\n\n_No summary figures: the run ended before they were computed._"
    names = [name for name in SUMMARY_ORDER if name in summary]
    names += [name for name in summary if name not in SUMMARY_ORDER]
    rows = [[cell(name), format_value(summary[name]), cell(_mapping(summary[name]).get("meaning"))]
            for name in names]
    return "## Summary figures\n\n" + table(["figure", "value", "meaning"], rows)


def _hypothesis_table(run: dict) -> str:
    checks = _entries(run.get("hypothesis"))
    if not checks:
        return "## Hypothesis checks\n\n_No hypothesis checks in this run._"
    rows = []
    for check in checks:
        expression = str(check.get("query") or "")
        if check.get("aggregate"):
            expression = f"{check['aggregate']}({expression})"
        if check.get("operator"):
            expression += f" {check['operator']} {format_number(check.get('threshold'))}"
        passed = {True: "PASS", False: "FAIL"}.get(check.get("passed"), MISSING)
        rows.append([cell(check.get("name")), cell(check.get("window")), cell(expression),
                     format_number(check.get("value")), format_number(check.get("tolerance")), passed])
    return "## Hypothesis checks\n\n" + table(
        ["check", "window", "expression", "value", "tolerance", "passed"], rows)


def _seconds(value) -> str:
    # Two decimals: the gap between planned and executed times is often tens of milliseconds.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return MISSING
    return f"{value:.2f} s"


def _timeline_table(run: dict) -> str:
    events = _entries(run.get("timeline"))
    if not events:
        return "## Timeline as executed\n\n_No timeline recorded._"
    rows = []
    for event in events:
        executed = _seconds(event.get("executed_seconds"))
        detail = str(event.get("detail") or "")
        if event.get("ok") is False:
            detail = f"{detail} (FAILED: {event.get('error') or 'no error recorded'})".strip()
        rows.append([_seconds(event.get("planned_seconds")),
                     "not executed" if executed == MISSING else executed,
                     cell(event.get("name")), cell(event.get("action")), cell(detail)])
    return "## Timeline as executed\n\n" + table(["planned at", "executed at", "event", "action", "detail"],
                                                 rows)


def _plots_section(plots: dict[str, str], image_src: Callable[[str], str],
                   series_problem: str | None) -> str:
    parts = ["## Plots", "Time is seconds since the run started; dashed vertical lines are the timeline's "
             "events, shaded bands the analysis windows (before, during, after)."]
    if series_problem:
        parts.append(f"> **No time series:** {text(series_problem)}")
    for name, file in plots.items():
        plot = PLOTS_BY_NAME[name]
        title = text(plot.title)
        parts.append(f"### {title}\n\n{text(plot.look_for)}\n\n![{title}]({image_src(file)})")
    skipped = [plot.title for name, plot in PLOTS_BY_NAME.items() if name not in plots]
    if skipped:
        parts.append(f"_Not drawn, no data: {text(', '.join(skipped))}._")
    return "\n\n".join(parts)


def _duration(run: dict) -> str:
    try:
        started = datetime.fromisoformat(str(run["started_at"]))
        ended = datetime.fromisoformat(str(run["ended_at"]))
    except (KeyError, ValueError):
        return MISSING
    return f"{(ended - started).total_seconds():.0f} s"


def _run_facts(run: dict) -> str:
    versions = _mapping(run.get("versions"))
    images = ", ".join(f"{name} {digest}" for name, digest in _mapping(versions.get("images")).items())
    status = run.get("status") or "unknown"
    if status != "complete":
        status = f"{status}: PARTIAL RESULTS ({run.get('error') or 'no error recorded'})"
    rows = [["scenario file", cell(_scenario(run).get("file"))],
            ["seed", cell(run.get("seed"))],
            ["time scale", cell(run.get("time_scale"))],
            ["stormlab", cell(versions.get("stormlab"))],
            ["python", cell(versions.get("python"))],
            ["images", cell(images)],
            ["started", cell(run.get("started_at"))],
            ["ended", cell(run.get("ended_at"))],
            ["duration", _duration(run)],
            ["status", cell(status)]]
    facts = "## Run facts\n\n" + table(["fact", "value"], rows)
    # The runner notes what it could not do (a series not recorded, a setting not restored).
    notes = [note for note in run.get("notes") or [] if note] if isinstance(run.get("notes"), list) else []
    if notes:
        facts += "\n\nNotes from the runner:\n\n" + "\n".join(f"- {cell(note)}" for note in notes)
    return facts


# --- HTML ---------------------------------------------------------------------------------

def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _html_page(title: str, markdown_text: str) -> str:
    body = markdown.markdown(markdown_text, extensions=["tables"], output_format="html")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.report",
                                     description="Render a run directory's plots, report.md and report.html.")
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run directory holding run.json")
    args = parser.parse_args(argv)
    try:
        write_report(args.run_dir)
    except RunFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.run_dir / 'report.md'} and {args.run_dir / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
