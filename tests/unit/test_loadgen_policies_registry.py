"""The registry: every policy by name, schemas with defaults, path-named errors."""

import random

import pytest

from loadgen.policies import POLICIES, make_policy
from loadgen.policies.base import RetryPolicy
from stormlab_common.config import ConfigError

NAMES = ["none", "naive", "fixed", "exponential", "full-jitter", "equal-jitter", "decorrelated-jitter",
         "retry-budget", "circuit-breaker", "adaptive"]


def make(name, params=None, path=("policy",)):
    return make_policy(name, params, random.Random(1), lambda: 0.0, path)


def problems(name, params=None, path=("policy",)):
    with pytest.raises(ConfigError) as caught:
        make(name, params, path)
    return caught.value.problems


def test_every_policy_is_registered_by_its_name():
    assert list(POLICIES) == NAMES
    for name, cls in POLICIES.items():
        assert issubclass(cls, RetryPolicy) and cls.name == name
        assert type(make(name)) is cls


@pytest.mark.parametrize("name", NAMES)
def test_every_schema_is_closed_and_every_parameter_has_a_default_and_a_description(name):
    schema = POLICIES[name].SCHEMA
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    for key, prop in schema["properties"].items():
        assert "default" in prop and prop.get("description"), key
    assert make(name).params == {key: prop["default"] for key, prop in schema["properties"].items()}


def test_an_unknown_name_lists_the_known_ones():
    assert problems("exponential-jitter") == [
        "policy.name: expected one of 'none', 'naive', 'fixed', 'exponential', 'full-jitter', 'equal-jitter', "
        "'decorrelated-jitter', 'retry-budget', 'circuit-breaker', 'adaptive', got 'exponential-jitter'"]
    assert problems(None, path=("profiles", "good", "policy"))[0].startswith("profiles.good.policy.name: expected one of")


def test_bad_parameters_are_named_by_their_path():
    assert problems("fixed", {"max_attempts": 0, "delay_seconds": "1s", "jitter": True}) == [
        "policy.jitter: unknown key; expected one of: delay_seconds, max_attempts",
        "policy.delay_seconds: expected a number, got '1s'",
        "policy.max_attempts: expected a number >= 1, got 0",
    ]
    assert problems("retry-budget", {"mode": "percent"}, path=("profiles", "good", "policy")) == [
        "profiles.good.policy.mode: expected one of 'tokens', 'ratio', got 'percent'"]
    assert problems("circuit-breaker", {"failure_ratio": 1.5}) == [
        "policy.failure_ratio: expected a number <= 1, got 1.5"]
    assert problems("none", {"max_attempts": 3}) == ["policy.max_attempts: unknown key; no keys are allowed here"]


def test_given_parameters_override_the_defaults_and_the_rest_are_filled_in():
    policy = make("retry-budget", {"mode": "ratio", "ratio": 0.2})
    assert policy.params["mode"] == "ratio" and policy.params["ratio"] == 0.2
    assert policy.params["quota"] == 500 and policy.params["max_attempts"] == 3
    assert policy.params["base_seconds"] == 1.0 and policy.params["cap_seconds"] == 20.0  # AWS


def test_the_policy_gets_the_clients_rng_and_clock():
    rng, clock = random.Random(3), (lambda: 42.0)
    policy = make_policy("full-jitter", {}, rng, clock)
    assert policy.rng is rng and policy.clock is clock


def test_stateless_policies_serve_every_request_themselves():
    policy = make("fixed")
    assert policy.for_request() is policy
