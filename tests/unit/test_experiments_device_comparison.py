"""The matrix on both devices side by side: one row per scenario, and for a verdict that differs
the facts read from the two runs (what the kernel device left out, the connect timeout against
the client kernel's SYN retransmissions, the figures)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from experiments.__main__ import main
from experiments.device_comparison import CrossCheckError, write_cross_check
from experiments.summary import write_summary
from tests.unit.experiments_support import collapse_series, complete_run, make_run

RECOVERING = {name: [(t, v if name != "goodput" or t <= 30 or t >= 60 else 0.0) for t, v in points]
              for name, points in collapse_series().items()}
RECOVERING["goodput"] = [(t, 60.0 if t <= 30 or t >= 50 else 0.0) for t, _ in collapse_series()["goodput"]]
CLIENTS = {"count": 50, "config": {"clients": {"internal": {"connect_timeout_seconds": 1.0}}}}


def matrix(tmp_path, device: str, recovered: bool = False):
    storm = replace(complete_run(series=RECOVERING if recovered else None, clients=CLIENTS), device=device)
    if device == "kernel":
        storm = replace(storm, notes=("on the kernel device: devices.border.connections.setup_cost_bytes = 4000 "
                                      "left out: the kernel's connection setup work is the router's own CPU time",
                                      "Grafana annotations skipped"))
    runs = [make_run(tmp_path / device / "runs" / "storm", storm)]
    write_summary(runs, tmp_path / device / "runs" / "matrix-1")
    return tmp_path / device / "runs" / "matrix-1"


def test_the_same_verdicts_side_by_side(tmp_path):
    path = write_cross_check(matrix(tmp_path, "proxy"), matrix(tmp_path, "kernel"), tmp_path / "out")
    text = path.read_text()
    assert "Proxy: 1 of 1 as expected. Kernel device: 1 of 1 as expected. The same verdict on both: 1 of 1." in text
    assert "| retry-storm | metastable | metastable | metastable | yes |" in text
    assert "Where the verdicts differ" not in text
    data = json.loads((tmp_path / "out" / "cross-check.json").read_text())
    assert data["totals"]["same_verdict"] == 1
    assert data["scenarios"][0]["left_out_on_kernel"][0].startswith("devices.border.connections.setup_cost_bytes")


def test_a_differing_verdict_is_explained_by_the_runs_facts(tmp_path):
    path = write_cross_check(matrix(tmp_path, "proxy"), matrix(tmp_path, "kernel", recovered=True), tmp_path / "out")
    text = path.read_text()
    assert "| **no** |" in text and "The same verdict on both: 0 of 1." in text
    why = text.split("## Where the verdicts differ")[1]
    assert "### retry-storm: metastable on the proxy, recovered (unexpected) on the kernel device" in why
    assert "- devices.border.connections.setup_cost_bytes = 4000 left out" in why
    assert ("The clients' connect timeout is 1 s; an unanswered SYN is sent again by the client's kernel 1 s, "
            "3 s, 7 s... after the first: 1 retransmission(s) fall within it (the first as the client gives "
            "up).") in why
    assert "- time to recover: proxy " in why


def test_a_side_given_as_the_wrong_device_or_not_a_matrix_is_refused(tmp_path, capsys):
    proxy = matrix(tmp_path, "proxy")
    with pytest.raises(CrossCheckError, match="ran on the proxy device, given as the kernel side"):
        write_cross_check(proxy, proxy, tmp_path / "out")
    assert main(["cross-check", str(proxy), str(tmp_path / "nowhere")]) == 2
    assert "no summary.json in" in capsys.readouterr().err
    assert main(["cross-check", str(proxy), str(matrix(tmp_path, "kernel")), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "cross-check.md").exists()
