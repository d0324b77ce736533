"""The matrix summary: one row per run, broken runs included, links relative to the summary."""

import copy
import json

from experiments.report import write_report
from experiments.summary import write_summary
from tests.unit.experiments_support import RUN, make_run, partial_run


def make_matrix(tmp_path):
    mismatch = copy.deepcopy(RUN)
    mismatch["scenario"]["name"] = "with-budget"
    mismatch["verdict"] = {"verdict": "metastable", "expected": "recovered", "matches": False, "reason": "..."}
    runs = [make_run(tmp_path / "runs" / "storm"), make_run(tmp_path / "runs" / "budget", mismatch),
            make_run(tmp_path / "runs" / "cut-short", partial_run()), tmp_path / "runs" / "empty"]
    runs[-1].mkdir()
    return runs


def test_summary_has_a_row_per_run_and_totals(tmp_path):
    runs = make_matrix(tmp_path)
    path = write_summary(runs, tmp_path / "matrix")
    assert path == tmp_path / "matrix" / "summary.md"
    md = path.read_text()
    assert "**4 runs, 1 matching their expected verdict, 3 not.**" in md
    assert ("| retry-storm | metastable | metastable | PASS | 59.8 req/s | 2.1 req/s | 5x | — | "
            "450/s vs 100/s (4.5x) | [report](../runs/storm/report.md) |") in md
    assert "| with-budget | recovered | metastable | FAIL |" in md
    assert "| retry-storm | metastable | no verdict (interrupted) | FAIL | — | — | — | — | — vs — |" in md
    assert "| empty | — | no verdict (unreadable) | FAIL |" in md
    assert "- cut-short: interrupted by the operator (SIGINT) at 42 s" in md
    assert "- empty: no run.json in" in md


def test_summary_json_holds_the_same_rows(tmp_path):
    runs = make_matrix(tmp_path)
    write_summary(runs, tmp_path / "matrix")
    data = json.loads((tmp_path / "matrix" / "summary.json").read_text())
    assert data["totals"] == {"runs": 4, "matching": 1, "not_matching": 3}
    first = data["runs"][0]
    assert first["scenario"] == "retry-storm" and first["matches"] is True
    assert first["baseline_goodput"] == {"value": 59.8, "unit": "req/s"}
    assert first["time_to_recover"] == {"value": None, "unit": "s"}
    assert [row["status"] for row in data["runs"]] == ["complete", "complete", "interrupted", "unreadable"]


def test_report_links_resolve_from_the_summary(tmp_path):
    run_dir = make_run(tmp_path / "runs" / "storm", series={"goodput": [(0.0, 1.0)]})
    write_report(run_dir)
    out = tmp_path / "matrix"
    write_summary([run_dir], out)
    link = json.loads((out / "summary.json").read_text())["runs"][0]["report"]
    assert (out / link).resolve() == (run_dir / "report.md").resolve()


def test_an_empty_matrix(tmp_path):
    md = write_summary([], tmp_path).read_text()
    assert "**0 runs, 0 matching their expected verdict, 0 not.**" in md and "_No runs._" in md
