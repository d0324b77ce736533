"""report.md and report.html from a run directory: complete, partial and broken runs."""

import base64
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.plots import PLOTS
from experiments.report import main, write_report
from tests.unit.experiments_support import PNG_MAGIC, RUN, make_run, partial_run

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"goodput": [(0.0, 60.0), (40.0, 0.0)]}  # one plot: enough where the plots are not the point


def rendered(tmp_path, run=None, series=None):
    run_dir = make_run(tmp_path / "run", run, series)
    write_report(run_dir)
    return run_dir, (run_dir / "report.md").read_text(), (run_dir / "report.html").read_text()


@pytest.fixture(scope="module")
def complete(tmp_path_factory):
    """The collapse, rendered once: drawing eight plots is the slow part."""
    return rendered(tmp_path_factory.mktemp("complete"))


def test_a_complete_run_reports_its_verdict_tables_and_plots(complete):
    run_dir, md, _ = complete
    assert md.startswith("# retry-storm: metastable\n")
    assert "> **Verdict: metastable** · expected: metastable · **PASS**" in md
    assert "goodput stayed below 30% of baseline (2.1 of 59.8 req/s)" in md
    assert "## Why we expect metastable\n\nUnbounded immediate retries" in md
    assert "| baseline_goodput | 59.8 req/s | goodput before the trigger |" in md
    assert "| time_to_recover | — | never recovered within the run |" in md
    assert ("| dns recovers after the move | after | mean(sum(rate(x_total\\[30s\\]))) >= 10.0 | 12.3 | — | PASS |"
            in md)
    assert "| 30.00 s | 30.02 s | trigger | surge | clients x4 for 15 s |" in md
    assert "| seed | 7 |" in md and "| duration | 120 s |" in md and "| status | complete |" in md
    assert "partial results" not in md
    for plot in PLOTS:
        assert f"![{plot.title}](plots/{plot.name}.png)" in md
        assert (run_dir / "plots" / f"{plot.name}.png").read_bytes()[:8] == PNG_MAGIC


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
    run = json.loads((run_dir / "run.json").read_text())
    assert run["artifacts"]["series"] == "series.csv"
    assert run["artifacts"]["report_md"] == "report.md"
    assert run["artifacts"]["report_html"] == "report.html"
    assert run["artifacts"]["plots"]["load"] == "plots/load.png"
    assert set(run["artifacts"]["plots"]) == {plot.name for plot in PLOTS}
    assert {k: v for k, v in run.items() if k != "artifacts"} == {k: v for k, v in RUN.items() if k != "artifacts"}


def test_an_interrupted_run_renders_with_a_warning(tmp_path):
    _, md, page = rendered(tmp_path, partial_run(), SMALL)
    assert md.startswith("# retry-storm: no verdict\n")
    assert "**Warning: partial results.** The run's status is **interrupted**" in md
    assert "interrupted by the operator (SIGINT) at 42 s" in md
    assert "Missing from run.json: verdict, summary, hypothesis." in md
    assert "**FAIL (no verdict)**" in md
    assert "No summary figures" in md and "No hypothesis checks" in md
    assert "PARTIAL RESULTS" in md  # repeated in the run facts
    assert "Warning: partial results." in page


def test_a_run_with_almost_nothing_still_renders(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text('{"format": 1, "status": "failed", "error": "proxy never became healthy"}')
    write_report(run_dir)  # no series.csv at all
    md = (run_dir / "report.md").read_text()
    assert md.startswith("# unnamed scenario: no verdict")
    assert "status is **failed**" in md and "proxy never became healthy" in md
    assert "**No time series:**" in md and "No timeline recorded" in md
    assert "![" not in md


def test_a_wrong_verdict_fails_and_a_failed_action_shows(tmp_path):
    run = copy.deepcopy(RUN)
    run["verdict"] = {"verdict": "recovered", "expected": "metastable", "matches": False, "reason": "goodput came back"}
    run["timeline"][1].update(ok=False, error="admin API refused")
    run["notes"] = ["series latency_p99 not recorded: timeout", None]
    _, md, _ = rendered(tmp_path, run, SMALL)
    assert "Notes from the runner:\n\n- series latency_p99 not recorded: timeout\n" in md
    assert md.startswith("# retry-storm: recovered\n")
    assert "expected: metastable · **FAIL**" in md
    assert "dns off the congested path (FAILED: admin API refused)" in md


def test_scenario_text_cannot_break_tables_or_pull_in_resources(tmp_path):
    run = copy.deepcopy(RUN)
    run["scenario"]["description"] = 'See <img src="https://example.com/x.png"> & more'
    run["hypothesis"][0]["name"] = "a | b"
    _, md, page = rendered(tmp_path, run, SMALL)
    assert "<img src=\"https" not in page and "&lt;img" in page
    assert "| a \\| b | after |" in md
    assert "<td>a | b</td>" in page


def test_the_command_line_re_renders(tmp_path, capsys):
    run_dir = make_run(tmp_path / "run", series=SMALL)
    assert main([str(run_dir)]) == 0
    assert (run_dir / "report.html").exists()
    assert "report.md" in capsys.readouterr().out


def test_a_missing_or_invalid_run_json_exits_2_with_a_message(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: no run.json in {tmp_path} (is it a run directory?)\n"
    (tmp_path / "run.json").write_text("{")
    assert main([str(tmp_path)]) == 2
    assert "is not valid JSON" in capsys.readouterr().err


def test_python_m_experiments_report_exits_2_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "experiments.report", str(tmp_path / "nowhere")], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "no run.json in" in result.stderr
