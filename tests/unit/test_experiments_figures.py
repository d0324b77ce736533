"""The figures table: which runs have which figure, the same figures and verdict as the real
example run recorded, and the docs showing the table (and run.json's fields) as the code has
them."""

import re
from pathlib import Path

import pytest

from experiments import fine_timing
from experiments.checks import evaluate_checks
from experiments.figures import BY_NAME, FIGURES, figure_records, markdown_table, measure
from experiments.results_io import read_series_csv
from experiments.run_record import RunRecord, load_record
from experiments.verdict import judge
from stormlab_common.model import schema_of
from stormlab_common.queries import BY_NAME as SERIES
from stormlab_common.scenario import parse_scenario
from tests.unit.experiments_support import SCENARIO, collapse_series, scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example-report"
DOCS = (ROOT / "docs" / "experiments.md").read_text()
OPTIONAL = {"peak_retries_sent", "retries_sent_peak_to_mean", "peak_arrivals_fine", "arrivals_peak_to_mean",
            "operator_view_scrapes", "ground_truth_scrapes"}


def test_a_run_with_a_trigger_has_every_trigger_figure_in_the_tables_order():
    series = {**collapse_series(), fine_timing.RETRIES: [(31.0 + 0.1 * i, 50.0) for i in range(60)]}
    values = measure(scenario(), series)
    assert list(values) == [spec.name for spec in FIGURES if spec.runs in ("trigger", "all")]
    records = figure_records(scenario(), series, values)
    assert records["goodput_after_ratio"].unit == "of baseline"
    assert "t = 31.0 s" in records["peak_retries_sent"].meaning  # the wave starts where the retries do


def test_figures_of_series_not_recorded_are_left_out_and_the_rest_are_null():
    values = measure(scenario(), {"goodput": collapse_series()["goodput"]})
    assert OPTIONAL.isdisjoint(values)
    assert values["baseline_goodput"] == 60 and values["wasted_work"] is None and values["capacity"] is None


def test_a_run_without_a_trigger_has_its_baseline_and_its_lowest_goodput():
    steady = parse_scenario({**SCENARIO, "timeline": {"warmup": 10, "end": 60}, "hypothesis": []})
    values = measure(steady, {"goodput": [(float(t), 0.0 if t == 40 else 60.0) for t in range(61)]})
    assert values == {"baseline_goodput": pytest.approx(60 * 50 / 51), "lowest_goodput": pytest.approx(48)}  # 4 of the 5 samples in 4 s


@pytest.fixture(scope="module")
def example():
    record = load_record(EXAMPLE)
    scenario = parse_scenario(record.scenario.raw, record.time_scale, record.scenario.file)
    return record, scenario, read_series_csv(EXAMPLE / record.artifacts.series)


def test_the_real_example_gets_the_figures_and_verdict_it_recorded(example):
    record, scenario, series = example
    figures, verdict = judge(scenario, series)
    assert list(figures) == list(record.figures)
    # The numbers; a run keeps the units and meanings the table gave when it ran, and those
    # words change (capacity was labelled req/s before it was attempts/s, the same number).
    assert {name: f.value for name, f in figures.items()} == {name: f.value for name, f in record.figures.items()}
    assert verdict == record.verdict


def test_each_figure_has_the_unit_of_what_it_is_compared_with():
    # Goodput is in logical requests; the device's capacity is in attempts, as the offered
    # load it is set against: one connection setup per attempt, whatever a request needs.
    units = {spec.name: spec.unit for spec in FIGURES}
    assert units["capacity"] == SERIES["offered_load"].unit != SERIES["goodput"].unit
    assert {units[spec.name] for spec in FIGURES if spec.series == ("goodput",) and spec.how in (
        "mean", "lowest 4 s mean")} == {SERIES["goodput"].unit}
    assert units["connection_setup_limit"] == units["peak_connection_attempts"] == SERIES["connection_attempts"].unit
    assert "req/s" not in BY_NAME["capacity"].meaning and "connection setup" in BY_NAME["capacity"].meaning


def test_the_real_example_gets_the_checks_it_recorded(example):
    record, scenario, series = example
    assert evaluate_checks(scenario, series) == record.checks


def test_the_docs_show_the_figures_table_as_the_code_holds_it():
    assert markdown_table() in DOCS


def test_the_docs_describe_every_field_of_run_json():
    table = DOCS.split("### run.json\n", 1)[1].split("\n\n**Format 1**", 1)[0]
    rows = {match[1]: match[0] for match in re.finditer(r"^\| `(\w+)` \|.*$", table, re.M)}
    schema = schema_of(RunRecord)["properties"]
    assert set(rows) == set(schema)
    for name, field in schema.items():
        part = next((s for s in [field, *field.get("anyOf", [])] if "properties" in s), field)
        nested = part.get("properties") or part.get("items", {}).get("properties") or (
            part.get("additionalProperties") or {}).get("properties") or {}
        nested = nested or next((s.get("items", {}).get("properties") for s in field.get("anyOf", [])
                                 if "items" in s), None) or {}
        for inner, inner_schema in nested.items():
            assert f"`{inner}`" in rows[name], f"{name}.{inner} is not documented"
            for deeper in (inner_schema.get("properties") or inner_schema.get("items", {}).get("properties") or {}):
                assert f"`{deeper}`" in rows[name], f"{name}.{inner}.{deeper} is not documented"
