"""Result files are written whole or not at all, and the series CSV round-trips exactly."""

import json
import math
import os

import pytest

from experiments import results_io
from experiments.results_io import (
    RunFileError,
    read_json_object,
    read_series_csv,
    write_json_atomic,
    write_series_csv,
)


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_json_is_written_and_reads_back(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomic(path, {"seed": 7, "windows": {"after": [55.0, 120.0]}})
    assert json.loads(path.read_text()) == {"seed": 7, "windows": {"after": [55.0, 120.0]}}
    assert leftovers(tmp_path) == []


def test_nan_and_infinity_become_null_so_the_file_stays_standard_json(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomic(path, {"value": math.nan, "values": [1.0, math.inf]})
    assert "NaN" not in path.read_text()
    assert json.loads(path.read_text()) == {"value": None, "values": [1.0, None]}


def test_a_value_json_cannot_hold_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomic(path, {"status": "complete"})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"status": "complete", "oops": object()})
    assert json.loads(path.read_text()) == {"status": "complete"}
    assert leftovers(tmp_path) == []


def test_a_failure_while_replacing_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    write_json_atomic(path, {"status": "complete"})

    def interrupted(src, dst):
        raise KeyboardInterrupt  # as if Ctrl-C arrived between the write and the rename

    monkeypatch.setattr(results_io.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(path, {"status": "interrupted"})
    assert json.loads(path.read_text()) == {"status": "complete"}
    assert leftovers(tmp_path) == []


def test_files_get_the_usual_permissions_not_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        write_json_atomic(tmp_path / "run.json", {})
    finally:
        os.umask(old)
    assert (tmp_path / "run.json").stat().st_mode & 0o777 == 0o644


def test_series_round_trip_including_nan(tmp_path):
    series = {"goodput": [(0.0, 60.0), (1.0, math.nan), (2.5, 0.1 + 0.2)],
              "goodput:dns": [(0.0, 20.0)], "success_ratio:naive": []}
    path = tmp_path / "series.csv"
    write_series_csv(path, series)
    assert path.read_text().splitlines()[0] == "series,seconds,value"
    back = read_series_csv(path)
    assert set(back) == {"goodput", "goodput:dns"}  # an empty series has no rows to write
    assert back["goodput:dns"] == [(0.0, 20.0)]
    times, values = zip(*back["goodput"], strict=True)
    assert times == (0.0, 1.0, 2.5)
    assert values[0] == 60.0 and math.isnan(values[1]) and values[2] == 0.1 + 0.2  # exact, not rounded
    assert leftovers(tmp_path) == []


def test_series_are_sorted_by_seconds_whatever_the_row_order(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("series,seconds,value\ngoodput,2,5\ngoodput,0,1\ngoodput,1,nan\n")
    samples = read_series_csv(path)["goodput"]
    assert [t for t, _ in samples] == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(("content", "message"), [
    ("name,t,v\n", "expected the header series,seconds,value"),
    ("series,seconds,value\ngoodput,0,1\ngoodput,one,1\n", "line 3"),
    ("series,seconds,value\ngoodput,0\n", "line 2"),
])
def test_a_malformed_series_file_names_the_problem(tmp_path, content, message):
    path = tmp_path / "series.csv"
    path.write_text(content)
    with pytest.raises(RunFileError, match=message):
        read_series_csv(path)


def test_a_missing_series_file_is_a_run_file_error(tmp_path):
    with pytest.raises(RunFileError, match="cannot read"):
        read_series_csv(tmp_path / "series.csv")


@pytest.mark.parametrize(("content", "message"), [
    (None, "no run.json here"),
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "should hold a JSON object, found list"),
])
def test_read_json_object_explains_what_is_wrong(tmp_path, content, message):
    if content is not None:
        (tmp_path / "run.json").write_text(content)
    with pytest.raises(RunFileError, match=message):
        read_json_object(tmp_path / "run.json", missing="no run.json here")


def test_read_json_object_returns_the_object(tmp_path):
    (tmp_path / "run.json").write_text('{"format": 2, "status": "complete"}')
    assert read_json_object(tmp_path / "run.json") == {"format": 2, "status": "complete"}
