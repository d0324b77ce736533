"""The offline check of a scenario against the stack's definition (experiments/validation.py):
the real scenarios pass; what each part would send is checked in the runner's order, over the
state the earlier parts leave; a malformed part is reported once; nothing makes it crash."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from experiments import runner, validation
from experiments.__main__ import main
from experiments.rehearsal import PaperLab
from experiments.timeline import plan_events
from experiments.validation import checked_scenario, scenario_problems
from stormlab_common.model import schema_of
from stormlab_common.scenario import parse_scenario, read_scenario
from stormlab_common.scenario.file import ScenarioFile
from stormlab_common.scenario.stack_definition import read_stack_definition
from tests.unit.schema_strategies import bad_values, values

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "experiments").glob("*.yaml"))
# the lab at five times its scale (make storm-5x): real scenarios too, outside the canonical 13
SCALED = sorted((ROOT / "experiments" / "storm-5x").glob("*.yaml"))
STACK = read_stack_definition(ROOT)
BASE = read_scenario(ROOT / "tests/scenarios/base.yaml")
CHANGES = ("patch_device", "patch_link", "patch_service", "configure_clients", "patch_clients",
           "set_client_setting", "announce_membership")


def with_actions(*actions: dict) -> dict:
    raw = copy.deepcopy(BASE)
    raw["timeline"]["actions"] = list(actions)
    raw["hypothesis"] = []
    return raw


@pytest.mark.parametrize("path", SCENARIOS + SCALED, ids=lambda p: p.stem)
def test_every_real_scenario_passes_at_full_length_and_at_ci_scale(path):
    assert checked_scenario(path).name == path.stem
    assert checked_scenario(path, 0.5).time_scale == 0.5


class Recorder:
    """Any lab: records the changes it is asked for (the counts and stops are not changes)."""

    def __init__(self):
        self.calls = []
        self.client_count = 0

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, *args)) if name in CHANGES else None


@pytest.mark.parametrize("path", SCENARIOS + SCALED, ids=lambda p: p.stem)
def test_the_rehearsal_sends_what_the_runner_sends_in_the_same_order(path, monkeypatch):
    scenario, ran = checked_scenario(path), Recorder()
    runner._apply_settings(scenario, ran)
    for event in plan_events(scenario, ran):
        event.run()
    rehearsed = []

    class Recording(PaperLab):
        def __getattribute__(self, name):
            if name in CHANGES:
                change = super().__getattribute__(name)
                return lambda *args: (rehearsed.append((name, *args)), change(*args))[1]
            return super().__getattribute__(name)

    monkeypatch.setattr(validation, "PaperLab", Recording)
    assert validation.sent_problems(read_scenario(path), STACK) == []
    assert rehearsed == ran.calls
    assert any(call[0] == "configure_clients" for call in rehearsed)


def test_each_action_is_checked_over_the_state_the_earlier_ones_leave():
    create = {"do": "device_limits", "device": "late", "limits": {"connections": {"new_per_second": 50}}}
    move = {"do": "move_link", "link": "dns", "device": "late"}
    assert scenario_problems(with_actions({"at": 40, **create}, {"at": 50, **move}), STACK) == []
    assert scenario_problems(with_actions({"at": 40, **move}, {"at": 50, **create}), STACK) == [
        "timeline.actions.0.device: unknown device 'late'; defined devices: border, side"]


def test_a_change_to_a_created_device_is_a_patch_over_what_was_created():
    raw = with_actions({"at": 40, "do": "device_limits", "device": "side",
                        "limits": {"downstream": {"burst_bytes": 100000}}})
    assert scenario_problems(raw, STACK) == []  # side: created by the topology, patched here
    raw["timeline"]["actions"][0]["limits"]["downstream"]["burst_bytes"] = 100
    assert scenario_problems(raw, STACK) == [
        "timeline.actions.0.limits.downstream.burst_bytes: expected at least one chunk (65536 bytes), got 100"]


def test_a_policy_switch_is_checked_as_the_whole_profile_it_sends():
    # well formed alone, and sent over the profile the scenario gives: its policy replaced whole
    raw = with_actions({"at": 40, "do": "switch_policy", "policy": {"name": "retry-budget", "ratio": 0.1}})
    assert scenario_problems(raw, STACK) == []
    raw["timeline"]["actions"][0]["policy"]["ratio"] = 11
    assert scenario_problems(raw, STACK) == ["timeline.actions.0.policy.ratio: expected a number <= 10, got 11"]


def test_a_part_too_malformed_to_send_is_reported_once_by_the_files_own_rules():
    raw = copy.deepcopy(BASE)
    raw["topology"]["devices"]["border"] = "fast"
    raw["services"]["kv"] = ["admission_control"]
    assert scenario_problems(raw, STACK) == ["services.kv: expected a mapping, got ['admission_control']",
                                             "topology.devices.border: expected a mapping, got 'fast'"]


def test_a_time_scale_is_part_of_the_check():
    raw = copy.deepcopy(BASE)
    assert scenario_problems(raw, STACK, 1.0) == []
    assert any("at time scale 0.1" in problem for problem in scenario_problems(raw, STACK, 0.1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values(schema_of(ScenarioFile)) | bad_values(schema_of(ScenarioFile)))
def test_whatever_a_file_holds_the_check_names_problems_and_never_fails(raw):
    found = scenario_problems(raw, STACK)
    assert all(isinstance(problem, str) and ": " in problem for problem in found)
    if not found:
        parse_scenario(raw)  # what passes the check, the runner can take


def test_the_validate_command_prints_every_problem_of_every_file(capsys):
    bad = ROOT / "tests/scenarios/invalid/several-mistakes.yaml"
    assert main(["validate", str(SCENARIOS[0]), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == f"ok: {SCENARIOS[0]}\n"
    assert err.startswith(f"experiments: invalid scenario {bad}:\n")
    assert len(err.splitlines()) == 1 + 8  # the eight mistakes of that file
    assert main(["validate"]) == 0  # every scenario of experiments/
