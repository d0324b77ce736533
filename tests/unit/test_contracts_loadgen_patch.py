"""A live change of the loadgen's settings, checked as the loadgen checks it and as the
experiment runner can check a scenario offline: a merge patch over the base, its schema exact
(what it refuses the loadgen always refuses; what it allows is refused only for the base)."""

from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stormlab_common.config import ConfigError, read_yaml_file
from stormlab_common.contracts.loadgen_patch import (
    base_document,
    config_patch_problems,
    config_patch_schema,
    patch_is_well_formed,
    patched_config,
)

ROOT = Path(__file__).resolve().parents[2]
STACK_BASE = read_yaml_file(ROOT / "loadgen/config.yml")


def test_a_scenarios_client_patch_is_checked_offline_against_the_stacks_base():
    patch = {"seed": 7, "arrivals": {"requests_per_second": 1.0},
             "clients": {"sdk": None, "internal": {"policy": {"name": "retry-budget", "mode": "ratio"}}}}
    assert config_patch_problems(STACK_BASE, patch, ("clients", "config")) == []
    config = patched_config(STACK_BASE, patch)
    assert list(config.clients) == ["internal"] and config.clients["internal"].policy.mode == "ratio"
    bad = {"clients": {"internal": {"policy": {"name": "fixed", "max_attempts": 0}}},
           "workload": {"x": {"target": "nowhere", "path": "/"}}, "membership": {"poll_seconds": 1}}
    assert config_patch_problems(STACK_BASE, bad, ("clients", "config")) == [
        "clients.config.clients.internal.policy.max_attempts: expected a number >= 1, got 0",
        "clients.config.workload.x.target: unknown target 'nowhere'; targets: api, dns, kv, monitoring",
        "clients.config.membership: cannot change while locust runs (each client starts its membership "
        "watch with it); restart locust with it in its config"]
    with pytest.raises(ConfigError):
        patched_config(STACK_BASE, bad)


def test_a_patch_must_be_an_object():
    for patch, kind in (([1], "an array"), ("x", "a string"), (None, "null"), (3, "a number"), (True, "true or false")):
        assert config_patch_problems({}, patch) == [f"(top level): expected a JSON object (a merge patch), got {kind}"]
        assert not patch_is_well_formed(patch)


def test_the_base_is_merged_into_with_its_missing_top_level_keys_at_their_defaults():
    assert base_document({"seed": 1})["targets"] == {"api": {"url": "http://proxy:8081"}}
    config = patched_config({"seed": 1}, {"targets": {"b": {"url": "http://b:1"}}})
    assert sorted(config.targets) == ["api", "b"]  # added to the default target, not in its place
    base = {"clients": {"sdk": {"policy": {"name": "full-jitter"}}}}
    assert patched_config(base, {"clients": {"sdk": {"policy": {"name": "fixed"}}}}).clients["sdk"].policy.name == "fixed"
    assert base == {"clients": {"sdk": {"policy": {"name": "full-jitter"}}}}


def test_the_patch_schema_is_a_merge_patchs():
    schema = config_patch_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    valid = jsonschema.Draft202012Validator(schema).is_valid
    assert valid({"clients": {"sdk": {"weight": 2}}})  # an entry merges: it need not be whole
    assert valid({"clients": {"sdk": {"policy": {"max_attempts": 4}}}})  # under the base's policy name
    assert valid({"clients": {"sdk": {"policy": {"name": "full-jitter", "delay_seconds": None}}}})
    assert valid({"clients": {}, "seed": None, "shape": None, "clients2": None}) is False  # unknown, even null
    assert not valid({"clients": {"sdk": {"policy": {"name": None}}}})  # a policy needs its name
    assert not valid({"clients": {"sdk": {"policy": {"k": 2, "delay_seconds": 1}}}})  # no policy has both
    assert not valid({"workload": {"w": {"target": None}}})  # required: no default to fall back to
    assert not valid({"clients": {"Bad": None}})  # names are names


_json = st.recursive(st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(-10, 1e6, allow_nan=False)
                     | st.sampled_from(["fixed", "naive", "api", "dns", "/x", "http://h:1", "steady", "zz"]),
                     lambda inner: st.lists(inner, max_size=2) | st.dictionaries(
                         st.sampled_from(["name", "policy", "weight", "target", "path", "k", "max_attempts",
                                          "url", "kind", "clients", "seconds", "zz"]), inner, max_size=3),
                     max_leaves=6)
_profile = st.fixed_dictionaries({}, optional={
    "policy": st.fixed_dictionaries({}, optional={
        "name": st.sampled_from(["fixed", "full-jitter", "adaptive", "naive", "warp"]) | _json,
        "max_attempts": st.integers(-1, 101) | st.none(), "k": st.floats(0, 200) | st.none(),
        "delay_seconds": st.floats(-1, 5) | st.none(), "zz": st.none()}),
    "weight": st.floats(-1, 10) | st.none() | _json, "deadline_seconds": st.floats(0, 10), "zz": st.none()})
_patch = st.fixed_dictionaries({}, optional={
    "seed": st.integers() | st.none() | _json,
    "clients": st.dictionaries(st.sampled_from(["sdk", "default", "new", "Bad"]), _profile | st.none() | _json,
                               max_size=3),
    "workload": st.dictionaries(st.sampled_from(["resolve", "new"]), st.fixed_dictionaries({}, optional={
        "target": st.sampled_from(["api", "dns", "nowhere"]) | st.none(), "path": st.just("/p"),
        "body_bytes": st.integers(0, 3), "body_json": st.none() | st.just({"a": None})}) | st.none(), max_size=2),
    "targets": st.dictionaries(st.sampled_from(["api", "b"]), st.none() | _json, max_size=2),
    "arrivals": st.fixed_dictionaries({}, optional={"process": st.sampled_from(["poisson", "bursty"]) | st.none()}),
    "membership": st.none() | _json, "shape": st.none() | _json, "zz": st.none(),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_patch)
def test_what_the_schema_refuses_is_refused_and_what_it_allows_is_refused_only_for_the_base(patch):
    problems = config_patch_problems(STACK_BASE, patch)
    if not patch_is_well_formed(patch):
        assert problems  # a malformed patch is never taken (HTTP 400)
    if not problems:
        assert patch_is_well_formed(patch)
        patched_config(STACK_BASE, patch)  # and what is taken builds
    # (schemathesis generates patches from the schema itself against a running master: none
    # it generates is refused as malformed, docs/clients.md "Fuzzing the API")

