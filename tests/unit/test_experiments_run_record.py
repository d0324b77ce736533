"""run.json as one typed record: its schema, writing and reading it back, the rules a schema
cannot say, and format 1 (the untyped run.json before it) converted on the way in."""

import copy
import json
from dataclasses import replace

import jsonschema
import pytest

from experiments import run_record
from experiments.outcome import executed_events
from experiments.results_io import RunFileError
from experiments.run_format1 import NOTE
from experiments.run_record import RUN_FORMAT, RunRecord, Verdict, load_record, save_record
from experiments.timeline import Event, TimelineClock
from stormlab_common.model import dump, problems_of, schema_of
from tests.unit.experiments_support import RUN, partial_run


def format1(record: RunRecord) -> dict:
    """What the runner wrote before the typed record (format 1) for the same run."""
    data = dump(record)
    data["format"] = 1
    del data["scenario"]["compare"]
    data["summary"], data["hypothesis"] = data.pop("figures"), data.pop("checks")
    data["hypothesis"] = None if data["hypothesis"] is None else [
        {"name": c["name"], "window": c["window"], "query": c["query"] or c["series"], "aggregate": c["aggregate"],
         "value": c["value"], "operator": c["operator"], "threshold": c["absolute_threshold"], "passed": c["passed"]}
        for c in data["hypothesis"]]
    return data


def written(tmp_path, data) -> None:
    (tmp_path / "run.json").write_text(json.dumps(data))


def test_the_schema_is_valid_and_describes_what_the_runner_writes(tmp_path):
    schema = schema_of(RunRecord)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["format"]["enum"] == [RUN_FORMAT]
    for record in (RUN, partial_run()):
        save_record(tmp_path, record)
        on_disk = json.loads((tmp_path / "run.json").read_text())
        assert jsonschema.Draft202012Validator(schema).is_valid(on_disk)
        assert load_record(tmp_path) == record


def test_the_command_prints_the_schema(capsys):
    assert run_record.main() == 0
    assert json.loads(capsys.readouterr().out) == schema_of(RunRecord)


def test_a_format_1_record_is_converted_with_its_thresholds_as_written(tmp_path):
    written(tmp_path, format1(RUN))
    converted = load_record(tmp_path)
    assert converted == replace(RUN, notes=(NOTE,))
    relative, query = converted.checks
    assert (relative.threshold, relative.relative_to_baseline, relative.absolute_threshold) == (0.3, True, 18.0)
    assert (query.series, query.query) == ("check:1", "sum(rate(x_total[30s]))")
    written(tmp_path, format1(partial_run()))
    assert load_record(tmp_path) == replace(partial_run(), notes=(NOTE,))


def test_a_format_1_comparison_keeps_its_other_scenario(tmp_path):
    data = format1(RUN)
    data["scenario"]["raw"]["compare"] = [{"name": "lower", "figure": "peak_retries_sent", "with": "exponential",
                                           "operator": "<"}]
    written(tmp_path, data)
    (claim,) = load_record(tmp_path).scenario.compare
    assert (claim.with_scenario, claim.figure, claim.operator) == ("exponential", "peak_retries_sent", "<")


def test_a_format_1_record_whose_checks_do_not_match_its_scenario_says_what_to_do(tmp_path):
    data = format1(RUN)
    data["scenario"]["raw"]["hypothesis"] = data["scenario"]["raw"]["hypothesis"][:1]
    written(tmp_path, data)
    with pytest.raises(RunFileError, match=r"holds 2 check results but its scenario.raw has 1 .* re-run the scenario"):
        load_record(tmp_path)
    data["scenario"]["raw"]["hypothesis"] = list(reversed(format1(RUN)["scenario"]["raw"]["hypothesis"]))
    written(tmp_path, data)
    with pytest.raises(RunFileError, match=r"check 0 is 'goodput after .*' but the scenario's hypothesis 0 is 'dns"):
        load_record(tmp_path)


@pytest.mark.parametrize(("change", "message"), [
    ({"format": 3}, "has format 3; this version of stormlab reads formats 1 and 2 (a newer stormlab wrote it"),
    ({"format": None}, "has format None"),
])
def test_an_unknown_format_is_refused_by_name(tmp_path, change, message):
    written(tmp_path, {**dump(RUN), **change})
    with pytest.raises(RunFileError, match=message.replace("(", r"\(")):
        load_record(tmp_path)


def test_every_problem_of_a_damaged_record_is_named_with_its_path(tmp_path):
    data = dump(RUN)
    data["seed"], data["windows"]["before"], data["extra"] = "seven", [1.0], True
    del data["scenario"]["expect"]
    written(tmp_path, data)
    with pytest.raises(RunFileError) as caught:
        load_record(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"invalid {tmp_path / 'run.json'}:")
    for problem in ("extra: unknown key", "scenario.expect: required key is missing",
                    "seed: expected an integer, got 'seven'", "windows.before: [1.0] is too short"):
        assert problem in message


def test_the_rules_a_schema_cannot_say():
    data = dump(RUN)
    data["verdict"]["matches"] = False
    data["windows"]["after"] = [60.0, 45.0]
    assert problems_of(RunRecord, data) == [
        "verdict.matches: expected True (metastable vs metastable), got False",
        "windows.after: expected start <= end, got [60, 45]"]
    incomplete = copy.deepcopy(dump(RUN))
    incomplete["checks"] = None
    incomplete["verdict"] = dump(Verdict("recovered", "recovered", True, "back"))
    assert problems_of(RunRecord, incomplete) == [
        "checks: a complete run has it; got null",
        "verdict.expected: expected the scenario's 'metastable', got 'recovered'"]
    passed_without_value = dump(RUN)
    passed_without_value["checks"][0]["value"] = None
    assert problems_of(RunRecord, passed_without_value) == [
        "checks.0.passed: a check without a value or a threshold cannot have passed"]


def test_the_timeline_clock_records_events_the_record_takes():
    clock = TimelineClock([Event("start", "start", 0.0, "start_clients", "2 clients", lambda: None),
                           Event("end", "end", 0.0, "stop_clients", "clients stopped", lambda: None)])
    clock.run()
    first, last = executed_events(clock.executed)
    assert (first.name, first.kind, first.planned_seconds, first.ok, first.error) == ("start", "start", 0.0, True, None)
    assert last.wall_time >= first.wall_time >= clock.started_wall


def test_the_console_reads_the_record_too(tmp_path, capsys):
    from experiments.__main__ import EXIT_FAILED, _left_dirty, _report_run

    save_record(tmp_path, RUN)
    assert _report_run(tmp_path) == 0
    out = capsys.readouterr().out
    assert "  verdict: metastable (as expected): goodput fell below 50% of baseline" in out
    assert "  pass: goodput after the trigger stays below 30% of baseline (max 0 < 0.3 x baseline = 18.0)" in out
    assert "  pass: dns recovers after the move (mean 12.3 >= 10.0)" in out
    assert not _left_dirty(tmp_path)
    save_record(tmp_path, replace(partial_run(), notes=("could not restore: restore link dns: refused",)))
    assert _report_run(tmp_path) == EXIT_FAILED
    assert "interrupted: interrupted by the operator (SIGINT) at 42 s" in capsys.readouterr().out
    assert _left_dirty(tmp_path)
    assert "could not restore: restore link dns: refused" in capsys.readouterr().err
