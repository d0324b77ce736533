"""A scenario's own service behind a link (stormlab_common/scenario/service_under_test.py): its
key, the target the clients get, the workload it needs; and a scenario outside experiments/
extending a canonical one by name, as the worked example does."""

import copy
from pathlib import Path

import pytest

from stormlab_common.config import ConfigError
from stormlab_common.scenario import load_scenario, parse_scenario
from stormlab_common.scenario.service_under_test import ServiceUnderTest, clients_config, service_problems

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples/own-service"
OWN = {"link": "own", "upstream": "own:80", "listen_port": 8090}
MINIMAL = {
    "name": "tiny",
    "description": "a test",
    "expect": {"verdict": "metastable", "reasoning": "because"},
    "clients": {"count": 10, "config": {"workload": {"page": {"target": "own", "path": "/payload"}}}},
    "timeline": {"warmup": 5, "trigger": {"at": 20, "duration": 10, "surge_factor": 2, "membership": "api"},
                 "end": 80},
    "service_under_test": OWN,
}


def test_a_service_under_test_is_read_with_its_defaults_and_gives_the_clients_a_target():
    scenario = parse_scenario(copy.deepcopy(MINIMAL))
    own = scenario.service_under_test
    assert own == ServiceUnderTest("own", "own:80", 8090)
    assert (own.device, own.protocol, own.health.path, own.health.expect_status, own.health.timeout_seconds) == (
        "border", "http", "/", 200, 60.0)
    assert own.link_config() == {"listen_port": 8090, "upstream": "own:80", "device": "border", "protocol": "http"}
    assert own.health_url == "http://proxy:8090/"
    assert scenario.client_config == {"workload": {"page": {"target": "own", "path": "/payload"}},
                                      "targets": {"own": {"url": "http://proxy:8090"}}}
    assert scenario.raw["clients"]["config"] == MINIMAL["clients"]["config"]  # the file as written is recorded


def test_a_target_the_scenario_names_itself_is_left_as_it_is():
    config = {"targets": {"own": {"url": "http://proxy:9999"}, "api": None}}
    assert clients_config(config, ServiceUnderTest("own", "own:80", 8090))["targets"] == config["targets"]
    assert clients_config(config, None) == config


def test_without_a_service_under_test_nothing_changes():
    raw = copy.deepcopy(MINIMAL)
    del raw["service_under_test"]
    raw["clients"]["config"] = {"arrivals": {"requests_per_second": 2.0}}
    assert parse_scenario(raw).client_config == {"arrivals": {"requests_per_second": 2.0}}
    assert parse_scenario(raw).service_under_test is None


def test_a_workload_that_never_reaches_the_service_under_test_is_refused():
    raw = copy.deepcopy(MINIMAL)
    raw["clients"]["config"] = {"workload": {"lookup": {"target": "dns", "path": "/v1/resolve/x"}}}
    with pytest.raises(ConfigError) as refused:
        parse_scenario(raw)
    (problem,) = refused.value.problems
    assert problem.startswith("clients.config.workload: no call goes to the service under test; expected at least "
                              "one with target: own (e.g. {page: {target: own, path: /}})")
    assert service_problems(ServiceUnderTest("own", "own:80", 8090), {}) == [problem]  # no workload at all


@pytest.mark.parametrize(("change", "expected"), [
    ({"upstream": "own"}, "service_under_test.upstream: expected host:port"),
    ({"listen_port": 0}, "service_under_test.listen_port: expected a number >= 1, got 0"),
    ({"protocol": "udp"}, "service_under_test.protocol: expected one of"),
    ({"health": {"path": "health"}}, "service_under_test.health.path: expected GET this path"),
    ({"health": {"timeout_seconds": 0}}, "service_under_test.health.timeout_seconds: expected a positive number, got 0"),
    ({"port": 80}, "service_under_test.port: unknown key"),
])
def test_each_bad_key_is_named_with_its_path(change, expected):
    raw = copy.deepcopy(MINIMAL)
    raw["service_under_test"] = {**OWN, **change}
    with pytest.raises(ConfigError) as refused:
        parse_scenario(raw)
    assert any(problem.startswith(expected) for problem in refused.value.problems), refused.value.problems


def test_the_worked_example_extends_the_canonical_scenarios_by_name_from_outside_experiments():
    storm, budget = load_scenario(EXAMPLE / "storm.yaml", 0.5), load_scenario(EXAMPLE / "budget.yaml", 0.5)
    canonical = load_scenario(ROOT / "experiments/retry-storm.yaml", 0.5)
    assert (storm.devices, storm.trigger, storm.end) == (canonical.devices, canonical.trigger, canonical.end)
    assert (storm.expected_verdict, budget.expected_verdict) == ("metastable", "recovered")
    assert budget.service_under_test == storm.service_under_test
    assert budget.client_config["clients"]["internal"]["policy"]["name"] == "retry-budget"
    assert budget.client_config["workload"] == {"page": {"target": "own", "path": "/payload"}}


def test_a_scenario_beside_the_file_wins_over_the_canonical_one_of_that_name(tmp_path):
    body = "extends: retry-storm\nname: mine\n"
    (tmp_path / "mine.yaml").write_text(body)
    assert load_scenario(tmp_path / "mine.yaml").description == load_scenario(
        ROOT / "experiments/retry-storm.yaml").description
    (tmp_path / "retry-storm.yaml").write_text("extends: baseline\nname: local\n")
    assert load_scenario(tmp_path / "mine.yaml").expected_verdict == "stable"  # baseline's, through the local file
    (tmp_path / "other.yaml").write_text("extends: sub/retry-storm\nname: other\n")
    with pytest.raises(ConfigError, match="extends: no scenario"):  # a path is never looked up in experiments/
        load_scenario(tmp_path / "other.yaml")
