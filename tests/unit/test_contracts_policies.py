"""The retry policies' parameter contract: one class per policy, told apart by name, every
parameter with a default, a description and bounds, every problem in the config's words."""

import dataclasses
import typing

import pytest

from stormlab_common.config import ConfigError
from stormlab_common.contracts.policies import (
    POLICY_PARAMS,
    POLICY_SCHEMA,
    NaiveParams,
    client_default,
    parse_policy,
    policy_problems,
)
from stormlab_common.model import schema_of


def problems(data, prefix=("policy",)):
    with pytest.raises(ConfigError) as caught:
        parse_policy(data, prefix)
    assert caught.value.problems == policy_problems(data, prefix)
    return caught.value.problems


@pytest.mark.parametrize("name", list(POLICY_PARAMS))
def test_every_parameter_has_a_default_a_description_and_bounds(name):
    schema = schema_of(POLICY_PARAMS[name])
    assert schema["additionalProperties"] is False and "required" not in schema
    assert schema["properties"]["name"]["enum"] == [name]
    hints = typing.get_type_hints(POLICY_PARAMS[name])
    for key, prop in schema["properties"].items():
        assert "default" in prop, key
        if key != "name":
            assert prop.get("description"), key
        if hints[key] is float:  # a number beyond a float would overflow the arithmetic
            assert "maximum" in prop, key
    assert dataclasses.asdict(parse_policy({"name": name})) == dataclasses.asdict(POLICY_PARAMS[name]())


def test_the_union_is_told_apart_by_name():
    assert POLICY_SCHEMA["discriminator"] == {"propertyName": "name"}
    assert [variant["properties"]["name"]["enum"] for variant in POLICY_SCHEMA["oneOf"]] == [
        [name] for name in POLICY_PARAMS]


def test_an_unknown_name_lists_the_known_ones():
    assert problems({"name": "exponential-jitter"}) == [
        "policy.name: expected one of 'none', 'naive', 'fixed', 'exponential', 'full-jitter', 'equal-jitter', "
        "'decorrelated-jitter', 'retry-budget', 'circuit-breaker', 'adaptive', got 'exponential-jitter'"]
    assert problems({"name": None}, ("clients", "good", "policy"))[0].startswith(
        "clients.good.policy.name: expected one of")
    assert problems({}) == ["policy.name: required key is missing"]
    assert problems(5) == ["policy: expected a mapping, got 5"]


def test_bad_parameters_are_named_by_their_path_all_at_once():
    assert problems({"name": "fixed", "max_attempts": 0, "delay_seconds": "1s", "jitter": True}) == [
        "policy.jitter: unknown key; expected one of: delay_seconds, max_attempts, name",
        "policy.delay_seconds: expected a number, got '1s'",
        "policy.max_attempts: expected a number >= 1, got 0",
    ]
    assert problems({"name": "retry-budget", "mode": "percent"}, ("clients", "good", "policy")) == [
        "clients.good.policy.mode: expected one of 'tokens', 'ratio', got 'percent'"]
    assert problems({"name": "circuit-breaker", "failure_ratio": 1.5}) == [
        "policy.failure_ratio: expected a number <= 1, got 1.5"]
    assert problems({"name": "none", "max_attempts": 3}) == [
        "policy.max_attempts: unknown key; expected one of: name"]
    assert problems({"name": "adaptive", "base_seconds": 10**400}) == [
        f"policy.base_seconds: expected a number <= 3600, got {10**400!r}"]


def test_parameters_are_typed_and_the_rest_filled_in():
    params = parse_policy({"name": "retry-budget", "mode": "ratio", "ratio": 1})
    assert (params.mode, params.ratio, params.quota, params.base_seconds) == ("ratio", 1.0, 500.0, 1.0)
    assert isinstance(params.ratio, float)


def test_naive_implies_a_connection_per_attempt_and_no_retry_after():
    assert client_default(NaiveParams(), "reuse_connections") is False
    assert client_default(NaiveParams(), "respect_retry_after") is False
    assert client_default(parse_policy({"name": "fixed"}), "reuse_connections") is None
