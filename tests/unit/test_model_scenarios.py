"""The acceptance point: every canonical scenario's predicted verdict is the one it expects.

The model reads the scenario's numbers (device, clients, trigger, actions) and simulates
them; the expectation is read only here, to compare."""

import dataclasses

import pytest

from model.predict import predict, predict_scenario
from stormlab_common.contracts.policies import NoRetriesParams
from tests.unit.model_scenarios import CANONICAL, lab, scenario


@pytest.mark.parametrize("path", CANONICAL, ids=[path.stem for path in CANONICAL])
def test_each_canonical_scenario_gets_its_expected_verdict(path):
    loaded = scenario(path)
    prediction = predict_scenario(loaded)
    assert prediction.verdict == loaded.expected_verdict, prediction.text()


@pytest.mark.parametrize("path", CANONICAL, ids=[path.stem for path in CANONICAL])
def test_and_at_ci_time_scale(path):
    loaded = scenario(path, 0.5)
    assert predict_scenario(loaded).verdict == loaded.expected_verdict


def test_thirteen_canonical_scenarios():
    assert len(CANONICAL) == 13


def test_the_verdict_follows_the_load_not_the_file():
    """The same naive storm below capacity / 5 attempts (~0.15 of capacity) recovers, and the
    threshold-low lab with threshold-high's clients stays down: the numbers decide."""
    storm = lab("retry-storm")
    fewer = dataclasses.replace(storm, clients=dataclasses.replace(storm.clients, count=12))
    assert predict(fewer).verdict == "recovered"
    low = lab("threshold-low")
    more = dataclasses.replace(low, clients=dataclasses.replace(low.clients, count=40))
    assert predict(more).verdict == "metastable"


def test_no_retries_means_no_storm():
    storm = lab("retry-storm")
    profiles = tuple(dataclasses.replace(p, policy=NoRetriesParams()) for p in storm.clients.profiles)
    none = dataclasses.replace(storm, clients=dataclasses.replace(storm.clients, profiles=profiles))
    assert predict(none).verdict == "recovered"


def test_moving_dns_brings_dns_back_and_nothing_else():
    """retry-storm-remediation's first action: DNS crosses a device of its own from 70 s."""
    prediction = predict(lab("retry-storm-remediation"))
    by_target = prediction.trace.goodput_by_target

    def mean(target, start, end):
        return sum(by_target.get(target, [0.0] * 200)[start:end]) / (end - start)

    assert mean("dns", 75, 100) >= 0.8 * mean("dns", 16, 30)
    assert mean("kv", 75, 100) < 0.3 * mean("kv", 16, 30)
    assert mean("kv", 110, 150) >= 0.5 * mean("kv", 16, 30) * 0.75  # after the last actions


def test_prediction_figures_tell_the_physics():
    after = {phase.name: phase for phase in predict_scenario(scenario("retry-storm")).phases}["after the trigger"]
    assert after.attempts_per_request == pytest.approx(5.0, abs=0.3)  # 5 s deadline / 1 s timeouts
    assert after.setups > 2 * 100  # ~300 setups/s offered against 100
    assert after.goodput < 1.0
    assert after.wasted == pytest.approx(100, abs=5)  # every setup the device makes is wasted
