"""The loops side by side, held to their physics, on two real runs (tests/unit/runs/: `fixed`
3 attempts at half length, the retry budget at full length, their series trimmed to what a
loop reads: demand, goodput and capacity)."""

import shutil
from pathlib import Path

import pytest

from experiments.hysteresis_summary import bounds_failed, physics_bounds, write_loops

RUNS = Path(__file__).resolve().parent / "runs"


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    results = tmp_path_factory.mktemp("loops")
    runs = []
    for name in ("hysteresis-fixed", "hysteresis-retry-budget"):
        shutil.copytree(RUNS / name, results / f"20261202T000000Z-{name}")
        runs.append(results / f"20261202T000000Z-{name}")
    return write_loops(runs, results)


def rows(summary: Path) -> dict[str, list[str]]:
    lines = [line for line in summary.read_text().splitlines() if line.startswith("| hysteresis-")]
    return {cells[0]: cells[1:] for cells in (line.strip("| ").split(" | ") for line in lines)}


def test_each_loop_is_held_to_its_physics_and_every_bound_met(summary):
    table = rows(summary)
    fixed, budget = table["hysteresis-fixed"], table["hysteresis-retry-budget"]
    assert fixed[:5] == ["25 of 12 s", "1.07", "0.29", "0.78", "metastable (expected metastable)"]
    assert budget[:5] == ["21 of 40 s", "0.96", "0.86", "0.10", "recovered (expected recovered)"]
    assert "recovery_load within 0.15 of capacity / 3 attempts = 0.33: PASS" in fixed[-1]
    assert budget[-1] == "loop at most 0.15 of capacity wide: PASS"
    assert not bounds_failed(summary)
    assert (summary.parent / "overlay.png").stat().st_size > 10_000


def test_the_model_walks_the_same_staircase_beside_each_measured_loop(summary):
    table = rows(summary)
    assert table["hysteresis-fixed"][5].endswith(": metastable")
    assert table["hysteresis-retry-budget"][5].endswith(": recovered")


@pytest.mark.parametrize(("expected", "attempts", "loads", "holds"), [
    ("metastable", 3, (1.0, 0.3, 0.7), [True, True]),
    ("metastable", 3, (1.0, 0.7, 0.3), [False, False]),   # too narrow, and back far above 1/3
    ("metastable", 3, (1.0, None, None), [True, None]),   # never came back: as wide as it gets
    ("recovered", None, (1.0, 0.9, 0.1), [True]),
    ("recovered", None, (1.0, 0.8, 0.2), [False]),
    ("metastable", 5, (None, None, 0.0), [None, None]),    # no collapse: nothing to measure
])
def test_the_bounds_each_loop_must_meet(expected, attempts, loads, holds):
    assert [bound.holds for bound in physics_bounds(expected, attempts, *loads)] == holds
