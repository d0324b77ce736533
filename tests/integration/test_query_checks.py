"""A hypothesis check written as PromQL (``query:``) is recorded and judged on the real stack:
the runner records its series as ``check:<n>``, the check that should pass passes, the one
that should fail fails, and the report shows both with their thresholds. The runner is run as
a user runs it (``python -m experiments run``), against the integration tests' stack."""

from __future__ import annotations

import subprocess
import sys

import pytest

from experiments.results_io import read_series_csv
from experiments.run_record import load_record
from tests.integration.conftest import ROOT

SCENARIO = ROOT / "tests/integration/scenarios/query-checks.yaml"


@pytest.mark.timeout(300)
def test_a_query_check_that_should_pass_passes_and_one_that_should_fail_fails(stack, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "experiments", "run", str(SCENARIO), "--project", stack.project, "--no-start",
         "--no-progress", "--strict", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=280)
    # --strict: the failed check fails the run (exit 1), the verdict itself is as expected
    assert run.returncode == 1, run.stdout + run.stderr
    assert "verdict: stable (as expected)" in run.stdout, run.stdout
    (run_dir,) = tmp_path.iterdir()
    record = load_record(run_dir)
    passing, failing = record.checks
    assert (passing.series, failing.series) == ("check:0", "check:1")
    assert passing.query == failing.query == 'sum(rate(stormlab_client_requests_total{outcome="success"}[6s]))'
    assert passing.passed and not failing.passed
    # both measured the clients' goodput, about 20 clients x 1 request/s, the same number
    assert passing.value == failing.value and 10 < passing.value < 30
    assert (passing.absolute_threshold, failing.absolute_threshold) == (5, 1)
    series = read_series_csv(run_dir / "series.csv")
    assert len(series["check:0"]) >= 20  # one sample a second over the run
    report = (run_dir / "report.md").read_text()
    assert "| the clients get answers (a query that should pass) |" in report
    assert "FAIL" in report and "PASS" in report
