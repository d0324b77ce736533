"""The map without containers: its file checked whole before anything starts, each cell's
scenario as the runner takes it, finished runs kept on disk and skipped on a rerun, the
boundary bisected, the model judged off the boundary, and the heatmap drawn."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from experiments.map_main import load_maps
from experiments.map_plot import draw_map, measured_boundary
from experiments.map_report import agreement, next_to_boundary, predictions, write_map_outputs
from experiments.map_run import MapRun, boundary_midpoints, cell_scenario
from experiments.map_spec import Axis, MapFile
from experiments.map_store import MapStore, Row, majority, shares
from stormlab_common.config import ConfigError

MAPS = Path(__file__).resolve().parents[2] / "experiments" / "map"


def write_map(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(body))
    return path


GOOD = f"""
    name: map-test
    scenario: {MAPS.parent / "capped-retries.yaml"}
    x: {{vary: baseline_load, from: 0.2, to: 0.6, cells: 3}}
    y: {{vary: surge_factor, from: 1, to: 4, cells: 2}}
    seeds: 2
    trigger_at: 28
    observe_seconds: 30
"""


def test_every_committed_map_loads_at_both_time_scales():
    for path in MAPS.glob("*.yaml"):
        for scale in (1.0, 0.5):
            (plan,) = load_maps([str(path)], scale)
            assert plan.spec.name.startswith("map-")


def test_a_cell_is_the_scenario_with_its_values_its_seed_and_no_actions_or_checks(tmp_path):
    (plan,) = load_maps([str(write_map(tmp_path, GOOD))], 0.5)
    scenario = cell_scenario(plan, 0.4, 4.0, 1, 0.5)
    # 0.4 of 100 setups/s is 40 requests/s; the 50 clients' membership polls (every 5 s) are 10 of them
    assert scenario.client_config["arrivals"]["requests_per_second"] == pytest.approx(30 / 50)
    assert scenario.trigger["surge_factor"] == 4.0 and scenario.trigger["at"] == 14.0
    assert scenario.end == pytest.approx(14 + 7.5 + 15)
    assert scenario.actions == () and scenario.checks == ()
    assert cell_scenario(plan, 0.4, 4.0, 0, 0.5).seed != scenario.seed


@pytest.mark.parametrize(("change", "problem"), [
    ("x: {vary: baseline_load, from: 0.2, to: 0.6, cells: 0}", "x.cells: expected a number >= 1, got 0"),
    ("seeds: 0", "seeds: expected a number >= 1, got 0"),
    ("x: {vary: baseline_load, from: 0.5, to: 1.2, cells: 3}", "at or above 1 (the device's capacity)"),
    ("y: {vary: temperature, from: 1, to: 4, cells: 2}", "y.vary: expected one of"),
    ("y: {vary: baseline_load, from: 0.2, to: 0.4, cells: 2}", "both axes vary baseline_load"),
    ("x: {vary: baseline_load, from: 0.05, to: 0.6, cells: 3}", "membership polls alone"),
    (f"scenario: {MAPS.parent / 'baseline.yaml'}", "has no timeline.trigger"),
    ("scenario: nowhere", "no scenario 'nowhere'"),
    ("x: {vary: baseline_load, from: 0.6, to: 0.2, cells: 3}", "must be above from"),
])
def test_bad_maps_are_refused_before_anything_starts(tmp_path, change, problem):
    key = change.split(":")[0]
    body = "\n".join(line for line in textwrap.dedent(GOOD).splitlines() if not line.startswith(f"{key}:"))
    with pytest.raises(ConfigError) as refused:
        load_maps([str(write_map(tmp_path, body + "\n" + change + "\n"))], 1.0)
    assert problem in str(refused.value)


def test_an_unknown_map_name_lists_the_maps_there_are():
    with pytest.raises(ConfigError, match=r"no such map.*ci, fixed, naive"):
        load_maps(["nope"], 1.0)


def row(x, y, seed, verdict, predicted=None) -> Row:
    return Row(x, y, seed, verdict, x, predicted, 40.0, "")


def test_finished_runs_survive_a_restart_and_are_skipped(tmp_path):
    store = MapStore(tmp_path)
    store.add(row(0.2, 1.0, 0, "recovered"))
    store.add(row(0.2, 1.0, 1, "metastable"))
    again = MapStore(tmp_path)
    assert again.done(0.2, 1.0, 0) and again.done(0.2, 1.0, 1) and not again.done(0.2, 1.0, 2)
    assert shares(again.cell(0.2, 1.0)) == {"stable": 0.0, "recovered": 0.5, "metastable": 0.5}
    assert majority(again.cell(0.2, 1.0)) == "metastable"  # a tie goes to the worse verdict


def run_of(tmp_path, verdicts: dict, predicted: dict | None = None) -> MapRun:
    (plan,) = load_maps([str(write_map(tmp_path, GOOD))], 1.0)
    store = MapStore(tmp_path / "store")
    for (x, y), verdict in verdicts.items():
        for seed in range(2):
            store.add(row(x, y, seed, verdict, (predicted or {}).get((x, y))))
    return MapRun(plan, tmp_path / "store", store, 1.0)


GRID = {(0.2, 1.0): "recovered", (0.2, 4.0): "recovered", (0.4, 1.0): "recovered", (0.4, 4.0): "metastable",
        (0.6, 1.0): "metastable", (0.6, 4.0): "metastable"}


def test_the_boundary_is_bisected_where_neighbouring_majorities_differ(tmp_path):
    run = run_of(tmp_path, GRID)
    assert boundary_midpoints(run.store, run.plan) == [(0.4, 2.5)]
    assert measured_boundary(run.plan, run.store) == [(0.4, 2.5)]
    assert next_to_boundary(run) == {(0.2, 4.0), (0.4, 4.0), (0.4, 1.0), (0.6, 1.0)}


def test_the_model_is_judged_on_the_cells_off_the_boundary(tmp_path):
    predicted = {(0.2, 1.0): "recovered", (0.6, 4.0): "stable", (0.4, 4.0): "recovered"}
    run = run_of(tmp_path, GRID, predicted)
    found = agreement(run, predictions(run, None))
    assert (found.judged, found.agreed) == (2, 1)  # (0.4, 4.0) is next to the boundary: not judged


def test_the_outputs_are_written_with_the_figures(tmp_path):
    run = run_of(tmp_path, GRID)
    report = write_map_outputs(run, predicted_boundary=[(0.2, 3.0), (0.6, 1.5)])
    assert (run.folder / "map.png").stat().st_size > 10_000
    assert "0.4 -> 2.5" in report.read_text() and "mean time per run" in report.read_text()
    lines = (run.folder / "map.csv").read_text().splitlines()
    assert lines[0].startswith("baseline_load,surge_factor,runs,stable,recovered,metastable,majority")
    assert len(lines) == 1 + len(GRID)
    figure = draw_map(run.plan, run.store, [(0.2, 3.0)])
    assert "model's boundary" in [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


def test_a_map_too_big_to_finish_is_refused():
    x, y = Axis("baseline_load", 0.1, 0.9, cells=50), Axis("surge_factor", 1, 5, cells=50)
    (problem,) = MapFile("map-huge", "capped-retries", x, y, seeds=100).check()
    assert problem == (("seeds",), "50 x 50 cells x 100 seeds is 250000 runs; expected at most 2000")
