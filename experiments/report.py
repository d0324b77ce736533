"""One run's report: report.md beside its PNGs, and a self-contained report.html.

The Markdown is written once, from run.json alone, and rendered twice: with relative image
links for report.md (readable in a repository browser), and with the images inlined as
data URIs for report.html, so the HTML can be mailed or attached to a ticket and still show
everything with no network and no sibling files.

A run that was interrupted or failed still gets a report: every section that has nothing
to show says so, and a warning at the top says the results are partial and why.

    python -m experiments.report RUN_DIR              # re-render an existing run
    python -m experiments.report --rejudge RUN_DIR    # and measure its figures and verdict anew
"""

from __future__ import annotations

import argparse
import base64
import html
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import markdown

from experiments import report_sections as sections
from experiments.alerts_report import alerts_section
from experiments.hysteresis_report import loop_section, render_loop
from experiments.plots import PLOTS_BY_NAME, render_plots
from experiments.report_text import text
from experiments.results_io import RunFileError, read_series_csv, write_text_atomic
from experiments.run_record import RunRecord, load_record, save_record

PLOTS_DIR = "plots"

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


def rejudge(run_dir: Path) -> RunRecord:
    """Measures a complete run's figures, verdict and checks anew from its recorded series,
    with the rules as they are now (a figure's definition may have changed since it ran), and
    saves them in run.json. Raises RunFileError when the run cannot be judged again."""
    from experiments.outcome import analysed
    from stormlab_common.config import ConfigError
    from stormlab_common.scenario import parse_scenario

    run_dir = Path(run_dir)
    record = load_record(run_dir)
    if record.status != "complete":
        raise RunFileError(f"{run_dir}: the run is {record.status}, not complete: there is nothing "
                           "to judge again")
    try:
        scenario = parse_scenario(record.scenario.raw, record.time_scale, record.scenario.file)
    except ConfigError as exc:
        raise RunFileError(f"{run_dir}: its scenario no longer reads: {exc}") from exc
    judged = analysed(record, scenario, read_series_csv(run_dir / record.artifacts.series))
    if judged.status != "complete":
        raise RunFileError(f"{run_dir}: {judged.error}")
    save_record(run_dir, judged)
    return judged


def write_report(run_dir: Path) -> RunRecord:
    """Renders run_dir's plots, report.md and report.html, and records them in run.json
    (a format-1 run.json is rewritten as format 2). Returns the record as written. Raises
    RunFileError if run.json is missing or invalid."""
    run_dir = Path(run_dir)
    record = load_record(run_dir)
    series, series_problem = {}, None
    try:
        series = read_series_csv(run_dir / record.artifacts.series)
    except RunFileError as exc:
        # A run that died before writing its samples still deserves a report saying so.
        series_problem = str(exc)
    plots = render_plots(record, series, run_dir / PLOTS_DIR)
    loop = render_loop(record, series, run_dir / PLOTS_DIR)

    relative = render_markdown(record, plots, lambda file: f"{PLOTS_DIR}/{file}", series_problem, loop)
    write_text_atomic(run_dir / "report.md", relative)
    drawn = [*plots.values(), *([loop] if loop else [])]
    write_text_atomic(run_dir / "report.html",
                      _html_page(sections.title(record), relative, _inlined_images(run_dir, drawn)))

    artifacts = replace(record.artifacts, report_md="report.md", report_html="report.html",
                        plots={name: f"{PLOTS_DIR}/{file}" for name, file in
                               {**({"loop": loop} if loop else {}), **plots}.items()})
    record = replace(record, artifacts=artifacts)
    save_record(run_dir, record)
    return record


def render_markdown(record: RunRecord, plots: dict[str, str], image_src: Callable[[str], str],
                    series_problem: str | None = None, loop: str | None = None) -> str:
    """The report as Markdown; image_src turns a plot's file name into the image reference."""
    parts = [
        f"# {text(sections.title(record))}",
        sections.partial_warning(record),
        text(record.scenario.description) or "_The scenario has no description._",
        sections.verdict_box(record),
        sections.expectation(record),
        sections.figures_table(record),
        sections.checks_table(record),
        loop_section(record, loop, image_src),
        sections.timeline_table(record),
        alerts_section(record),
        sections.cpu_table(record),
        _plots_section(plots, image_src, series_problem),
        sections.run_facts(record),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _plots_section(plots: dict[str, str], image_src: Callable[[str], str],
                   series_problem: str | None) -> str:
    parts = ["## Plots", "Time is seconds since the run started. Dashed vertical lines are the timeline's "
             "events and shaded bands its analysis windows (before the trigger, during it, after it, and "
             "after each operator action), each named above the plot; the caption under each title says how "
             "to read it."]
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


# --- HTML ---------------------------------------------------------------------------------

def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _html_body(markdown_text: str) -> str:
    """The Markdown as HTML, with no raw HTML passed through (its block and inline readers are
    removed): a '<' anywhere in a report is text, and '\\<' reads as '<', as in CommonMark."""
    renderer = markdown.Markdown(extensions=["tables"], output_format="html")
    renderer.preprocessors.deregister("html_block")
    renderer.inlinePatterns.deregister("html")
    renderer.ESCAPED_CHARS.append("<")
    return renderer.convert(markdown_text)


def _inlined_images(run_dir: Path, files: list[str]) -> dict[str, str]:
    """Each plot's relative reference in the HTML, and the data URI that replaces it."""
    return {f'src="{PLOTS_DIR}/{file}"': f'src="{_data_uri(run_dir / PLOTS_DIR / file)}"' for file in files}


def _html_page(title: str, markdown_text: str, images: dict[str, str] | None = None) -> str:
    """``images``: strings of the rendered HTML to replace, so the page stands alone. They are
    swapped in after the Markdown is rendered: fed through it, the plots' base64 took a second
    of Markdown's inline parsing per report."""
    body = _html_body(markdown_text)
    for reference, inlined in (images or {}).items():
        body = body.replace(reference, inlined)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.report",
                                     description="Render a run directory's plots, report.md and report.html.")
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run directory holding run.json")
    parser.add_argument("--rejudge", action="store_true",
                        help="first measure the figures and the verdict anew from the recorded series")
    args = parser.parse_args(argv)
    try:
        if args.rejudge:
            before = load_record(args.run_dir).verdict
            after = rejudge(args.run_dir).verdict
            print(f"verdict: {before.verdict if before else 'none'} -> {after.verdict if after else 'none'}"
                  f"{f' ({after.reason})' if after else ''}")
        write_report(args.run_dir)
    except RunFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.run_dir / 'report.md'} and {args.run_dir / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
