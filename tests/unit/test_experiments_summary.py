"""The matrix summary: one row per run, broken runs included, links relative to the summary."""

import json
from dataclasses import replace

from experiments.report import write_report
from experiments.run_record import Figure
from experiments.summary import write_summary
from tests.unit.experiments_support import complete_run, make_run, partial_run

RECOVERY_EXPECTED = {"verdict": "recovered", "reasoning": "the budget bounds the retries"}


def make_matrix(tmp_path):
    mismatch = complete_run(name="with-budget", expect=RECOVERY_EXPECTED)
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
    assert ("| retry-storm | metastable | metastable | PASS | 60.0 req/s | 0 req/s | 4.96 attempts/req | — | "
            "450 conn/s vs 100 conn/s (4.5x) | [report](../runs/storm/report.md) |") in md
    assert "| with-budget | recovered | metastable | FAIL |" in md
    assert "| retry-storm | metastable | no verdict (interrupted) | FAIL | — | — | — | — | — vs — |" in md
    assert "| empty | — | no verdict (unreadable) | FAIL |" in md
    assert "- cut-short: interrupted by the operator (SIGINT) at 42 s" in md
    assert "- empty: no run.json in" in md


def test_summary_json_holds_the_same_rows(tmp_path):
    runs = make_matrix(tmp_path)
    write_summary(runs, tmp_path / "matrix")
    data = json.loads((tmp_path / "matrix" / "summary.json").read_text())
    assert data["totals"] == {"runs": 4, "matching": 1, "not_matching": 3, "comparisons_failed": 0}
    first = data["runs"][0]
    assert first["scenario"] == "retry-storm" and first["matches"] is True
    assert first["baseline_goodput"] == {"value": 60.0, "unit": "req/s"}
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


def run_with(name: str, peak_to_mean: float | None, compare: list | None = None):
    run = complete_run(name=name, compare=compare or [])
    figure = Figure(peak_to_mean, "ratio", "that peak over the mean of the same 100 ms slots")
    return replace(run, figures={**run.figures, "arrivals_peak_to_mean": figure})


CLAIM = [{"name": "jitter lowers the peak", "figure": "arrivals_peak_to_mean", "with": "exponential",
          "operator": "<"}]


def test_a_comparison_is_checked_against_the_other_scenarios_run(tmp_path):
    runs = [make_run(tmp_path / "exp", run_with("exponential", 4.0)),
            make_run(tmp_path / "jit", run_with("full-jitter", 1.5, CLAIM))]
    write_summary(runs, tmp_path / "matrix")
    data = json.loads((tmp_path / "matrix" / "summary.json").read_text())
    assert data["comparisons"] == [{"name": "jitter lowers the peak", "scenario": "full-jitter",
                                    "figure": "arrivals_peak_to_mean", "operator": "<", "with": "exponential",
                                    "value": 1.5, "other_value": 4.0, "passed": True}]
    md = (tmp_path / "matrix" / "summary.md").read_text()
    assert "## Comparisons across runs" in md
    assert "| full-jitter | jitter lowers the peak | arrivals_peak_to_mean | 1.5 < 4 (exponential) | PASS |" in md


def test_a_failed_comparison_is_counted_and_a_missing_run_is_not_checked(tmp_path):
    runs = [make_run(tmp_path / "exp", run_with("exponential", 1.2)),
            make_run(tmp_path / "jit", run_with("full-jitter", 1.5, CLAIM))]
    write_summary(runs, tmp_path / "m1")
    data = json.loads((tmp_path / "m1" / "summary.json").read_text())
    assert data["totals"]["comparisons_failed"] == 1 and data["comparisons"][0]["passed"] is False

    write_summary(runs[1:], tmp_path / "m2")  # no exponential run in this matrix
    data = json.loads((tmp_path / "m2" / "summary.json").read_text())
    assert data["totals"]["comparisons_failed"] == 0 and data["comparisons"][0]["passed"] is None
    assert "not checked (a run or a figure is missing)" in (tmp_path / "m2" / "summary.md").read_text()


def test_each_round_compares_with_the_other_run_of_its_own_round(tmp_path):
    runs = [make_run(tmp_path / "e1", run_with("exponential", 1.0)),
            make_run(tmp_path / "j1", run_with("full-jitter", 2.0, CLAIM)),
            make_run(tmp_path / "e2", run_with("exponential", 3.0)),
            make_run(tmp_path / "j2", run_with("full-jitter", 2.0, CLAIM))]
    write_summary(runs, tmp_path / "matrix")
    compared = json.loads((tmp_path / "matrix" / "summary.json").read_text())["comparisons"]
    assert [(c["other_value"], c["passed"]) for c in compared] == [(1.0, False), (3.0, True)]
