"""Scenario files: every canonical one loads; bad ones fail before anything starts, with paths."""

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

from stormlab_common.config import ConfigError
from stormlab_common.contracts.policies import RetryBudgetParams
from stormlab_common.model import schema_of
from stormlab_common.scenario import load_scenario, parse_scenario
from stormlab_common.scenario.actions import ACTIONS
from stormlab_common.scenario.file import ScenarioFile

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"

MINIMAL = {
    "name": "tiny",
    "description": "a test",
    "expect": {"verdict": "metastable", "reasoning": "because"},
    "clients": {
        "count": 10,
        "config": {"clients": {"c": {"policy": {"name": "naive"}, "attempt_timeout_seconds": 1.0}}},
    },
    "timeline": {
        "warmup": 5,
        "trigger": {"at": 20, "duration": 10, "surge_factor": 2},
        "end": 80,
        "actions": [{"at": 40, "do": "move_link", "link": "dns", "device": "side", "name": "move-dns"}],
    },
    "hypothesis": [
        {
            "name": "dns back",
            "series": "goodput:dns",
            "window": "action:move-dns",
            "operator": ">",
            "threshold": 0.8,
            "relative_to_baseline": True,
        }
    ],
}


def problems_of(raw, time_scale=1.0):
    with pytest.raises(ConfigError) as caught:
        parse_scenario(raw, time_scale)
    return caught.value.problems


def with_change(path, value):
    raw = copy.deepcopy(MINIMAL)
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return raw


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_canonical_scenario_loads_at_full_length_and_at_ci_scale(path):
    full = load_scenario(path)
    short = load_scenario(path, time_scale=0.5)
    assert full.name == path.stem
    assert short.end == pytest.approx(full.end / 2)
    assert short.client_timeout == full.client_timeout  # the physics does not scale


def test_windows_follow_the_timeline_and_scale():
    scenario = parse_scenario(MINIMAL, time_scale=0.5)
    assert scenario.windows() == {
        "before": (5.0, 10.0),  # warmup: scaled, but never below 10 s or its own length
        "during": (10.0, 15.0),
        "after": (15.0, 20.0),
        "action:move-dns": (20.0, 40.0),
        "recovery": (20.0, 40.0),
        "final": (30.0, 40.0),  # the last 10 s, not scaled
    }
    assert scenario.recover_within == 30.0  # physics, not timeline: never scaled


def test_an_unknown_key_and_a_wrong_type_are_named_with_their_paths():
    raw = with_change(("clients", "count"), "many")
    raw["timeline"]["colour"] = "red"
    problems = problems_of(raw)
    assert any(p.startswith("clients.count:") for p in problems), problems
    assert any("colour" in p for p in problems), problems


def test_an_unknown_action_lists_the_known_ones():
    raw = with_change(("timeline", "actions"), [{"at": 40, "do": "reboot"}])
    (problem,) = [p for p in problems_of(raw) if p.startswith("timeline.actions.0.do")]
    assert problem.startswith("timeline.actions.0.do: expected one of 'move_link'")


def test_an_action_with_a_bad_parameter_is_named():
    raw = with_change(("timeline", "actions"), [{"at": 40, "do": "disable_sources", "fraction": 2}])
    assert any(p.startswith("timeline.actions.0.fraction") for p in problems_of(raw))


@pytest.mark.parametrize(
    "change, expected",
    [
        ((("timeline", "trigger", "at"), 3), "timeline.trigger.at: must come after the warmup"),
        (
            (("timeline", "trigger", "duration"), 100),
            "timeline.trigger: ends at 120 s, not before timeline.end",
        ),
        (
            (("timeline", "actions"), [{"at": 25, "do": "move_link", "link": "dns", "device": "x"}]),
            "timeline.actions.0.at: 25 s comes before the trigger ends",
        ),
        (
            (("timeline", "end"), 43),
            "timeline.end: the observation window after the trigger (or last action) is 3 s",
        ),
    ],
)
def test_an_impossible_timeline_is_refused_before_anything_starts(change, expected):
    path, value = change
    raw = with_change(path, value)
    if path[-1] != "actions":
        raw["hypothesis"] = []
    problems = problems_of(raw)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_time_scale_that_leaves_too_short_a_window_is_refused_with_the_scale_named():
    raw = copy.deepcopy(MINIMAL)
    raw["verdict"] = {"recover_within_seconds": 5}
    problems = problems_of(raw, time_scale=0.1)
    assert any("at time scale 0.1" in p and "5x the client timeout" in p for p in problems), problems


def test_a_check_on_a_missing_window_or_series_is_refused():
    raw = copy.deepcopy(MINIMAL)
    raw["hypothesis"] = [
        {"name": "x", "series": "nonsense", "window": "action:nope", "operator": "<", "threshold": 1}
    ]
    problems = problems_of(raw)
    assert any(p.startswith("hypothesis.0.window: 'action:nope' does not exist") for p in problems), problems
    assert any(p.startswith("hypothesis.0.series: unknown series 'nonsense'") for p in problems), problems


def test_extends_merges_over_the_parent_and_refuses_cycles(tmp_path):
    (tmp_path / "parent.yaml").write_text(yaml.safe_dump(MINIMAL))
    (tmp_path / "child.yaml").write_text(
        yaml.safe_dump({"extends": "parent", "name": "child", "clients": {"count": 30}})
    )
    child = load_scenario(tmp_path / "child.yaml")
    assert (child.name, child.client_count, child.trigger["surge_factor"]) == ("child", 30, 2)
    (tmp_path / "loop.yaml").write_text(yaml.safe_dump({"extends": "loop"}))
    with pytest.raises(ConfigError, match="cycle"):
        load_scenario(tmp_path / "loop.yaml")


def test_a_file_that_is_not_yaml_says_so(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_scenario(tmp_path / "bad.yaml")


def test_the_file_is_defined_once_its_schema_and_defaults_from_the_dataclasses():
    schema = schema_of(ScenarioFile)
    assert schema["required"] == ["name", "description", "expect", "clients", "timeline"]
    assert schema["properties"]["order"]["default"] == 99
    assert schema["properties"]["timeline"]["properties"]["trigger"]["properties"]["surge_factor"]["default"] == 1
    actions = schema["properties"]["timeline"]["properties"]["actions"]["items"]
    assert actions["discriminator"] == {"propertyName": "do"}
    assert [variant["properties"]["do"] for variant in actions["oneOf"]] == [{"enum": [name]} for name in ACTIONS]
    assert schema["properties"]["compare"]["items"]["required"] == ["name", "figure", "with", "operator"]
    jsonschema.Draft202012Validator.check_schema(schema)


def test_what_run_json_records_reads_back_as_the_same_scenario():
    raw = copy.deepcopy(MINIMAL)
    raw["compare"] = [{"name": "c", "figure": "peak_retries_sent", "with": "other", "operator": "<"}]
    scenario = parse_scenario(raw)
    assert scenario.raw["compare"][0]["with"] == "other"  # a key that is a Python keyword
    assert scenario.spec.compare[0].with_scenario == "other"
    assert scenario.raw["hypothesis"][0]["aggregate"] == "mean"  # defaults filled
    assert parse_scenario(scenario.raw).spec == scenario.spec


def test_each_actions_parameters_are_its_own_dataclass_a_policy_the_loadgens():
    raw = with_change(("timeline", "actions"), [
        {"at": 40, "do": "switch_policy", "policy": {"name": "retry-budget", "mode": "ratio", "ratio": 0.1}},
        {"at": 45, "do": "disable_sources", "fraction": 0.25}])
    raw["hypothesis"] = []
    switch, disable = parse_scenario(raw).actions
    assert isinstance(switch.action.params.policy, RetryBudgetParams)
    assert switch.action.params.policy.window_seconds == 10.0  # the loadgen's default
    assert switch.action.describe() == "switch clients to the retry-budget policy (mode=ratio, ratio=0.1)"
    assert (switch.name, disable.name) == ("switch-policy-1", "disable-sources-2")
    assert disable.action.params.fraction == 0.25
    raw["timeline"]["actions"][0]["policy"]["max_attempts"] = 0
    assert problems_of(raw) == ["timeline.actions.0.policy.max_attempts: expected a number >= 1, got 0"]


def test_the_timeline_rules_run_when_another_part_is_malformed():
    raw = with_change(("clients", "count"), "many")
    raw["timeline"]["actions"][0]["at"] = 25
    raw["hypothesis"][0].update(series="nonsense", window="action:nope")
    assert problems_of(raw) == [
        "clients.count: expected an integer, got 'many'",
        "hypothesis.0.series: unknown series 'nonsense'; see stormlab_common/queries.py",
        "timeline.actions.0.at: 25 s comes before the trigger ends (30 s); actions run in order after the trigger",
        "hypothesis.0.window: 'action:nope' does not exist in this scenario; windows: before, during, after, "
        "action:move-dns, recovery, final"]


@pytest.mark.parametrize("check, expected", [
    ({"series": "goodput", "query": "sum(up)"}, "hypothesis.0: give exactly one of series or query"),
    ({"series": None}, "hypothesis.0: give exactly one of series or query"),
    ({"series": None, "query": " "}, "hypothesis.0.query: expected a PromQL expression"),
])
def test_a_check_names_a_series_or_gives_a_query(check, expected):
    raw = copy.deepcopy(MINIMAL)
    raw["hypothesis"][0].update(check)
    assert [p for p in problems_of(raw) if p.startswith(expected)], problems_of(raw)
