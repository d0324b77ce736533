"""The model's inputs from scenario files: the stack's settings under the scenario's patches,
and each operator action as its effect."""

import pytest

from model.inputs import SetClientCount, SetProfiles, SetRoute
from tests.unit.model_scenarios import lab


def test_the_retry_storm_lab():
    inputs = lab("retry-storm")
    border = inputs.devices["border"]
    assert (border.setups_per_second, border.setup_burst, border.backlog, border.backlog_timeout) == (
        100, 20, 4096, 2)
    assert border.max_active == 4000 and border.setup_cost_bytes == 4000
    assert border.downstream.bytes_per_second == 1_500_000
    assert inputs.capacity == 100 and inputs.capacity_device == "border"
    assert {target: route.device for target, route in inputs.routes.items()} == {
        "api": "border", "dns": "border", "kv": "border", "monitoring": "border"}
    (profile,) = inputs.clients.profiles
    assert profile.policy.name == "naive" and not profile.reuse_connections
    assert (profile.attempt_timeout, profile.deadline) == (1.0, 5.0)
    assert inputs.clients.count == 50 and inputs.clients.poll.seconds == 5
    trigger = inputs.trigger
    assert (trigger.at, trigger.duration, trigger.surge_factor, trigger.membership, trigger.boot_fetch) == (
        30, 15, 4, "api", True)
    assert (inputs.warmup, inputs.end, inputs.rules.down_fraction, inputs.rules.recover_within) == (
        16, 100, 0.5, 30)


def test_the_mean_response_is_about_ten_kilobytes():
    calls = lab("retry-storm").clients.calls
    mean = sum(call.weight * call.response_bytes for call in calls) / sum(call.weight for call in calls)
    assert mean == pytest.approx(10_000, rel=0.05)


def test_the_scenarios_profiles_replace_the_stacks():
    assert [p.policy.name for p in lab("capped-retries").clients.profiles] == ["fixed"]


def test_remediation_actions_become_effects():
    move, disable, switch = lab("retry-storm-remediation").actions
    assert move.at == 70 and move.effects == (SetRoute("dns", move.effects[0].route),)
    assert move.effects[0].route.device == "dns-path"
    assert disable.effects == (SetClientCount(38, 100),)  # round(50 x 0.75)
    (effect,) = switch.effects
    assert isinstance(effect, SetProfiles)
    assert [(p.policy.name, p.policy.mode, p.policy.ratio) for p in effect.profiles] == [("retry-budget", "ratio", 0.1)]
    assert effect.profiles[0].attempt_timeout == 1.0  # the rest of the profile stays


def test_a_device_the_stack_lacks_is_created_unlimited():
    assert lab("retry-storm-remediation").devices["dns-path"].setups_per_second is None


def test_service_mitigations_are_read():
    services = lab("load-shedding").services
    assert {name: s.shed_above_delay for name, s in services.items()} == {
        "api": 0.05, "dns": 0.05, "kv": 0.05, "monitoring": 0.05}
    assert lab("retry-storm").services["api"].shed_above_delay is None


def test_times_are_scaled_and_physics_is_not():
    half = lab("retry-storm", 0.5)
    assert (half.trigger.at, half.trigger.duration, half.end) == (15, 7.5, 50)
    assert half.clients.profiles[0].attempt_timeout == 1.0 and half.rules.recover_within == 30
