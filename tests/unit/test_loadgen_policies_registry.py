"""The registry: every policy's behaviour by name, each with its parameter contract."""

import dataclasses
import random

import pytest

from loadgen.policies import POLICIES, make_policy
from loadgen.policies.base import RetryPolicy
from stormlab_common.contracts.policies import POLICY_PARAMS, parse_policy

NAMES = ["none", "naive", "fixed", "exponential", "full-jitter", "equal-jitter", "decorrelated-jitter",
         "retry-budget", "circuit-breaker", "adaptive"]


def make(name, params=None):
    return make_policy(parse_policy({"name": name, **(params or {})}), random.Random(1), lambda: 0.0)


def test_the_behaviours_and_the_parameter_contracts_name_the_same_policies():
    assert list(POLICIES) == list(POLICY_PARAMS) == NAMES
    for name, cls in POLICIES.items():
        assert issubclass(cls, RetryPolicy) and cls.name == name
        assert type(make(name)) is cls


@pytest.mark.parametrize("name", NAMES)
def test_a_policy_gets_its_contracts_parameters_with_every_default(name):
    policy = make(name)
    assert type(policy.params) is POLICY_PARAMS[name]
    assert policy.params == POLICY_PARAMS[name]()
    for field in dataclasses.fields(POLICY_PARAMS[name]):
        assert getattr(policy.params, field.name) == field.default


def test_given_parameters_override_the_defaults_and_the_rest_are_filled_in():
    policy = make("retry-budget", {"mode": "ratio", "ratio": 0.2})
    assert policy.params.mode == "ratio" and policy.params.ratio == 0.2
    assert policy.params.quota == 500 and policy.params.max_attempts == 3
    assert policy.params.base_seconds == 1.0 and policy.params.cap_seconds == 20.0  # AWS


def test_the_policy_gets_the_clients_rng_and_clock():
    rng, clock = random.Random(3), (lambda: 42.0)
    policy = make_policy(parse_policy({"name": "full-jitter"}), rng, clock)
    assert policy.rng is rng and policy.clock is clock


def test_stateless_policies_serve_every_request_themselves():
    policy = make("fixed")
    assert policy.for_request() is policy
