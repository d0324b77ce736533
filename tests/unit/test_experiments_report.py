"""report.md and report.html from a run directory: complete, partial and broken runs, and the
committed example, a real full-length run."""

import base64
import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from experiments.numbers import MISSING, figure
from experiments.plots import PLOTS
from experiments.report import main, write_report
from experiments.run_record import Artifacts, load_record
from tests.unit.experiments_support import PNG_MAGIC, RUN, complete_run, make_run, partial_run, started

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example-report"
SMALL = {"goodput": [(0.0, 60.0), (40.0, 0.0)]}  # one plot: enough where the plots are not the point


def rendered(tmp_path, run=None, series=None):
    run_dir = make_run(tmp_path / "run", run, series)
    write_report(run_dir)
    return run_dir, (run_dir / "report.md").read_text(), (run_dir / "report.html").read_text()


def section(md: str, heading: str) -> str:
    return md.split(f"## {heading}\n\n", 1)[1].split("\n## ", 1)[0]


def table_rows(md: str, heading: str) -> list[list[str]]:
    lines = [line for line in section(md, heading).splitlines() if line.startswith("| ")]
    return [re.split(r"(?<!\\) \| ", line[2:-2]) for line in lines[2:]]  # past the header and its rule


@pytest.fixture(scope="module")
def complete(tmp_path_factory):
    """The collapse, rendered once: drawing eight plots is the slow part."""
    return rendered(tmp_path_factory.mktemp("complete"))


def test_a_complete_run_reports_its_verdict_tables_and_plots(complete):
    run_dir, md, _ = complete
    assert md.startswith("# retry-storm: metastable\n")
    assert "> **Verdict: metastable** · expected: metastable · **PASS**" in md
    assert "goodput fell below 50% of baseline (30.0 of 60.0 req/s)" in md
    assert "## Why we expect metastable\n\nUnbounded immediate retries" in md
    assert "| baseline_goodput | 60.0 req/s | mean goodput before the trigger |" in md
    assert "| time_to_recover | — | from the trigger's end" in md
    assert "| 30.00 s | 30.02 s | scaling activity | surge | clients x4 (200) for 15 s |" in md
    assert "| seed | 7 |" in md and "| duration | 120 s |" in md and "| status | complete |" in md
    assert "partial results" not in md
    for plot in PLOTS:
        assert f"![{plot.title}](plots/{plot.name}.png)" in md
        assert (run_dir / "plots" / f"{plot.name}.png").read_bytes()[:8] == PNG_MAGIC


def test_the_alerts_section_follows_the_timeline_and_says_when_none_were_recorded(complete, example):
    _, md, _ = complete
    assert md.index("## Timeline as executed") < md.index("## Alerts") < md.index("## Plots")
    assert "_No alerts recorded: the run predates the alert rules" in section(md, "Alerts")
    assert "## Alerts\n\n_No alerts recorded" in example[2]  # a run from before the rules


def test_each_check_shows_what_it_measured_its_operator_and_both_thresholds(complete):
    _, md, _ = complete
    assert table_rows(md, "Hypothesis checks") == [
        ["goodput after the trigger stays below 30% of baseline", "after", "max(goodput)", "0", "`<`",
         "0.3 x baseline = 18.0", "PASS"],
        ["dns recovers after the move", "action:move-dns", "mean(sum(rate(x_total\\[30s\\])))", "12.3", "`>=`",
         "10.0", "PASS"],
    ]


ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", re.I)


def test_report_md_reads_as_plain_text_with_no_html_entities(complete, example):
    for md in (complete[1], example[2]):
        assert ENTITY.findall(md) == []
        assert "| `<` |" in md  # an operator, as written


def test_the_capacity_is_reported_in_attempts_as_the_offered_load_it_caps(complete):
    _, md, _ = complete
    figures = {row[0]: row[1] for row in table_rows(md, "Summary figures")}
    assert figures["capacity"] == "100 attempts/s"
    assert figures["baseline_goodput"].endswith(" req/s")


def test_the_html_is_self_contained(complete):
    run_dir, _, page = complete
    assert 'src="plots/' not in page
    assert "http://" not in page and "https://" not in page
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(sources) == len(PLOTS)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    first = base64.b64decode(sources[0].split(",", 1)[1])
    assert first == (run_dir / "plots" / "load.png").read_bytes()
    assert "<style>" in page and "<table>" in page and "<title>retry-storm: metastable</title>" in page


def test_run_json_records_the_artifacts_and_keeps_everything_else(complete):
    run_dir, _, _ = complete
    record = load_record(run_dir)
    assert record.artifacts.plots["load"] == "plots/load.png"
    assert set(record.artifacts.plots) == {plot.name for plot in PLOTS}
    assert record == replace(RUN, artifacts=Artifacts(plots=record.artifacts.plots))


def test_an_interrupted_run_renders_with_a_warning(tmp_path):
    _, md, page = rendered(tmp_path, partial_run(), SMALL)
    assert md.startswith("# retry-storm: no verdict\n")
    assert "**Warning: partial results.** The run's status is **interrupted**" in md
    assert "interrupted by the operator (SIGINT) at 42 s" in md
    assert "Missing from run.json: verdict, figures, checks." in md
    assert "**FAIL (no verdict)**" in md
    assert "No summary figures" in md and "the run ended before they were evaluated" in md
    assert "PARTIAL RESULTS" in md  # repeated in the run facts
    assert "Warning: partial results." in page


def test_a_run_that_failed_before_its_timeline_still_renders(tmp_path):
    record, _ = started()
    record = replace(record, status="failed", error="proxy never became healthy", timeline=(), ended_at=None)
    run_dir = tmp_path / "run"
    make_run(run_dir, record)
    (run_dir / "series.csv").unlink()  # it died before writing any
    write_report(run_dir)
    md = (run_dir / "report.md").read_text()
    assert md.startswith("# retry-storm: no verdict")
    assert "status is **failed**" in md and "proxy never became healthy" in md
    assert "Missing from run.json: verdict, figures, checks, timeline." in md
    assert "**No time series:**" in md and "No timeline recorded" in md and "| duration | — |" in md
    assert "![" not in md


def test_a_wrong_verdict_fails_and_a_failed_action_shows(tmp_path):
    run = complete_run(expect={"verdict": "recovered", "reasoning": "the budget bounds the retries"})
    failed = replace(run.timeline[3], ok=False, error="admin API refused")
    run = replace(run, timeline=(*run.timeline[:3], failed, *run.timeline[4:]),
                  notes=("series latency_p99 not recorded: timeout", ""))
    _, md, _ = rendered(tmp_path, run, SMALL)
    assert "Notes from the runner:\n\n- series latency_p99 not recorded: timeout\n" in md
    assert md.startswith("# retry-storm: metastable\n")
    assert "expected: recovered · **FAIL**" in md
    assert "move link dns to device dns-path (FAILED: admin API refused)" in md


def test_scenario_text_cannot_break_tables_or_pull_in_resources(tmp_path):
    checks = [{"name": "a | b", "series": "goodput", "window": "after", "operator": "<", "threshold": 1}]
    run = complete_run(description='See <img src="https://example.com/x.png"> & more', hypothesis=checks)
    _, md, page = rendered(tmp_path, run, SMALL)
    assert "<img src=\"https" not in page and "&lt;img" in page
    assert 'See \\<img src="https://example.com/x.png"> & more' in md  # escaped, and still plain text
    assert "| a \\| b | after |" in md
    assert "<td>a | b</td>" in page


def test_the_command_line_re_renders(tmp_path, capsys):
    run_dir = make_run(tmp_path / "run", series=SMALL)
    assert main([str(run_dir)]) == 0
    assert (run_dir / "report.html").exists()
    assert "report.md" in capsys.readouterr().out


def test_a_missing_invalid_or_damaged_run_json_exits_2_with_a_message(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: no run.json in {tmp_path} (is it a run directory?)\n"
    (tmp_path / "run.json").write_text("{")
    assert main([str(tmp_path)]) == 2
    assert "is not valid JSON" in capsys.readouterr().err
    make_run(tmp_path, series=SMALL)
    data = json.loads((tmp_path / "run.json").read_text())
    data["status"], data["checks"][0]["value"] = "done", "zero"
    (tmp_path / "run.json").write_text(json.dumps(data))
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "checks.0.value: expected a number or null, got 'zero'" in err
    assert "status: expected one of 'running', 'complete', 'interrupted', 'failed', got 'done'" in err


def test_python_m_experiments_report_exits_2_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "experiments.report", str(tmp_path / "nowhere")], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "no run.json in" in result.stderr


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The committed example (a real full-length run, in whatever format it was written),
    re-rendered in a copy."""
    run_dir = tmp_path_factory.mktemp("example")
    for name in ("run.json", "series.csv"):
        shutil.copy(EXAMPLE / name, run_dir / name)
    written = write_report(run_dir)
    return load_record(EXAMPLE), written, (run_dir / "report.md").read_text(), run_dir


def test_the_real_example_reports_every_check_with_its_thresholds(example):
    original, _, md, _ = example
    assert original.status == "complete" and original.checks
    rows = table_rows(md, "Hypothesis checks")
    assert [row[0] for row in rows] == [check.name for check in original.checks]
    for check, (_name, window, measured, value, operator, threshold, passed) in zip(original.checks, rows,
                                                                                     strict=True):
        assert check.absolute_threshold is not None, "a real check was compared with a number"
        assert (window, value, passed) == (check.window, figure(check.value), "PASS" if check.passed else "FAIL")
        assert measured == f"{check.aggregate}({check.measured})"
        assert operator == f"`{check.operator}`"
        assert MISSING not in threshold and threshold.startswith(figure(check.threshold))
        if check.relative_to_baseline:
            assert threshold.endswith(f" x baseline = {figure(check.absolute_threshold)}")


def test_the_real_example_reports_its_verdict_figures_and_timeline(example):
    original, _, md, _ = example
    assert f"> **Verdict: {original.verdict.verdict}** · expected: {original.verdict.expected}" in md
    figures = {row[0]: row[1] for row in table_rows(md, "Summary figures")}
    assert set(figures) == set(original.figures)
    assert figures["baseline_goodput"] != MISSING
    assert len(table_rows(md, "Timeline as executed")) == len(original.timeline) > 0


def test_re_rendering_the_example_writes_it_as_the_current_format_and_loses_nothing(example):
    original, written, _, run_dir = example
    assert json.loads((run_dir / "run.json").read_text())["format"] == 2
    assert load_record(run_dir) == written
    assert replace(written, artifacts=original.artifacts) == original


def test_rejudge_measures_the_figures_and_the_verdict_anew_from_the_recorded_series(tmp_path, capsys):
    run_dir = tmp_path / "storm"
    shutil.copytree(ROOT / "tests/unit/runs/retry-storm-ci", run_dir)
    recorded = json.loads((run_dir / "run.json").read_text())
    tampered = {**recorded, "verdict": {**recorded["verdict"], "verdict": "stable", "matches": False,
                                       "reason": "tampered"},
                "figures": {}}
    (run_dir / "run.json").write_text(json.dumps(tampered))
    assert main(["--rejudge", str(run_dir)]) == 0
    assert capsys.readouterr().out.startswith("verdict: stable -> metastable (")
    judged = json.loads((run_dir / "run.json").read_text())
    assert judged["verdict"] == recorded["verdict"]
    # the same values; a figure's unit or meaning may read as the rules now word it
    assert {k: f["value"] for k, f in judged["figures"].items()} == \
        {k: f["value"] for k, f in recorded["figures"].items()}
    assert judged["figures"]["capacity"]["unit"] == "attempts/s"  # once "req/s"
    assert "**Verdict: metastable**" in (run_dir / "report.md").read_text()


def test_rejudge_refuses_a_run_that_did_not_complete(tmp_path, capsys):
    run_dir = make_run(tmp_path / "run", partial_run(), SMALL)
    assert main(["--rejudge", str(run_dir)]) == 2
    assert "the run is interrupted, not complete" in capsys.readouterr().err
