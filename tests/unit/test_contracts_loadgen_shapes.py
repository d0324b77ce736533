"""The load shapes: pure functions of time, told apart by kind, their rules checked."""

import pytest

from stormlab_common.config import ConfigError
from stormlab_common.contracts.loadgen import LoadgenConfig, parse_config


def shape(data):
    return parse_config({"shape": data}).shape


def problems(data):
    with pytest.raises(ConfigError) as caught:
        shape(data)
    return caught.value.problems


def test_surge_plan():
    surge = shape({"kind": "surge", "clients": 10, "factor": 5, "start_seconds": 30, "surge_seconds": 15,
                   "seconds": 120})
    assert [surge.clients_at(t) for t in (0, 29.9, 30, 44.9, 45, 119.9, 120)] == [10, 10, 50, 50, 10, 10, None]
    assert surge.spawn_rate == 100.0


def test_sweep_and_steady_plans():
    sweep = shape({"kind": "sweep", "steps": [{"clients": 10, "seconds": 5}, {"clients": 20, "seconds": 5},
                                              {"clients": 10, "seconds": 5}]})
    assert [sweep.clients_at(t) for t in (0, 5, 10, 15)] == [10, 20, 10, None]
    assert sweep.schedule == ((5.0, 10), (10.0, 20), (15.0, 10))
    assert shape({"kind": "steady", "clients": 3, "seconds": 2, "spawn_rate": 5}).clients_at(1) == 3


def test_bad_plans_are_explained():
    assert problems({"kind": "surge", "clients": 1, "factor": 2, "start_seconds": 10, "surge_seconds": 10,
                     "seconds": 20}) == [
        "shape: the surge must end (start_seconds + surge_seconds = 20) before the run does (seconds = 20)"]
    assert problems({"kind": "wave"}) == ["shape.kind: expected one of 'steady', 'surge', 'sweep', got 'wave'"]
    assert problems({"kind": "surge", "clients": 1, "factor": 0.5, "start_seconds": 1, "surge_seconds": 1,
                     "seconds": 9}) == ["shape.factor: expected a number >= 1, got 0.5"]
    assert problems({"kind": "sweep", "steps": []})[0].startswith("shape.steps: ")
    assert problems({"kind": "steady", "clients": 1}) == ["shape.seconds: required key is missing"]
    assert problems({"kind": {"not": "a name"}}) == [
        "shape.kind: expected one of 'steady', 'surge', 'sweep', got {'not': 'a name'}"]


def test_no_shape_by_default():
    assert LoadgenConfig().shape is None and parse_config({"shape": None}).shape is None
