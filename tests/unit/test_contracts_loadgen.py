"""The load generator's settings contract: the file it loads, its defaults and types, every
rule a schema cannot say, every problem at once in the config's words."""

import re
import typing
from pathlib import Path

import pytest
import yaml

from loadgen.config import load_loadgen_config
from stormlab_common.config import ConfigError, read_yaml_file
from stormlab_common.contracts.loadgen import LoadgenConfig, Profile, config_problems, parse_config
from stormlab_common.contracts.policies import FullJitterParams, NoRetriesParams
from stormlab_common.model import dump, schema_of

ROOT = Path(__file__).resolve().parents[2]


def test_the_stacks_config_file_is_valid_and_typed():
    config = parse_config(read_yaml_file(ROOT / "loadgen/config.yml"))
    assert config.clients["sdk"].policy == FullJitterParams()
    assert config.membership.service == "api" and config.membership.poll_seconds == 5.0
    assert config.workload["kv-put"].body_bytes == 512 and config.workload["metrics-push"].body_json["agent"] == "host-1"
    assert config.target_urls["dns"] == "http://proxy:8053"
    assert parse_config(dump(config)) == config


def test_defaults_make_a_config_of_their_own():
    config = parse_config({})
    assert config == LoadgenConfig()
    assert config.profiles == (Profile(NoRetriesParams()),)
    assert (config.arrivals.process, config.arrivals.requests_per_second) == ("poisson", 1.0)
    assert config.target_urls == {"api": "http://proxy:8081"} and config.workload["work"].target == "api"


def test_profiles_come_by_name_whatever_the_order_given():
    config = parse_config({"clients": {"b": {"policy": {"name": "naive"}}, "a": {"policy": {"name": "fixed"}}}})
    assert [p.policy_name for p in config.profiles] == ["fixed", "naive"]


def test_every_bad_key_is_named_at_once_policies_and_targets_included():
    with pytest.raises(ConfigError) as caught:
        load_loadgen_config(env={}, overrides=[
            "clients.good.policy.name=full-jitter", "clients.good.policy.max_attempts=0",
            "clients.bad.policy.name=retry-forever", "workload.w.target=nowhere", "workload.w.path=/x"])
    assert caught.value.problems == [
        "clients.bad.policy.name: expected one of 'none', 'naive', 'fixed', 'exponential', 'full-jitter', "
        "'equal-jitter', 'decorrelated-jitter', 'retry-budget', 'circuit-breaker', 'adaptive', got 'retry-forever'",
        "clients.good.policy.max_attempts: expected a number >= 1, got 0",
        "workload.w.target: unknown target 'nowhere'; targets: api"]


def test_the_rules_a_schema_cannot_say():
    assert config_problems({"workload": {"w": {"target": "api", "path": "/", "body_bytes": 3, "body_json": {}}},
                            "membership": {"service": "api"}}) == [
        "workload.w: give body_bytes or body_json, not both",
        "membership.target: unknown target 'dns'; targets: api"]
    assert config_problems({"workload": {"w": {"target": "api", "path": "/", "body_bytes": 0, "body_json": {}}}}) == []
    assert config_problems({"targets": {}, "clients": {}}) == [
        "targets: expected at least one target, got none", "clients: expected at least one profile, got none",
        "workload.work.target: unknown target 'api'; targets: none"]
    assert config_problems({"workload": {}, "seed": "x"}) == [  # with a schema problem too
        "seed: expected an integer or null, got 'x'", "workload: expected at least one call, got none"]


def test_a_tag_that_is_not_a_name_is_reported_not_raised():
    assert config_problems({"clients": {"x": {"policy": {"name": ["fixed"]}}}, "seed": "x"}) == [
        "clients.x.policy.name: expected one of 'none', 'naive', 'fixed', 'exponential', 'full-jitter', "
        "'equal-jitter', 'decorrelated-jitter', 'retry-budget', 'circuit-breaker', 'adaptive', got ['fixed']",
        "seed: expected an integer or null, got 'x'"]


def test_problems_carry_the_prefix_of_where_the_config_sits():
    assert config_problems({"seed": 1.5}, ("clients", "config")) == [
        "clients.config.seed: expected an integer or null, got 1.5"]


def _numbers(cls, path=()):
    """(path, schema) of every float setting in the tree of ``cls``."""
    for key, prop in schema_of(cls)["properties"].items():
        yield from _walk(prop, (*path, key))


def _walk(schema, path):
    kinds = schema.get("type")
    if kinds == "number" or (isinstance(kinds, list) and "number" in kinds):
        yield path, schema
    for key in ("properties",):
        for name, sub in schema.get(key, {}).items():
            yield from _walk(sub, (*path, name))
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, []):
            yield from _walk(sub, path)
    for key in ("additionalProperties", "items"):
        if isinstance(schema.get(key), dict):
            yield from _walk(schema[key], (*path, "*"))


def test_every_number_is_bounded_so_none_overflows_a_float():
    found = list(_numbers(LoadgenConfig))
    assert len(found) > 30
    assert [path for path, schema in found if "maximum" not in schema] == []
    assert typing.get_type_hints(LoadgenConfig)["max_run_seconds"] is float


def test_the_docs_example_is_a_valid_config():
    text = (ROOT / "docs/clients.md").read_text()
    example = re.search(r"## Configuration.*?```yaml\n(.*?)```", text, re.S).group(1)
    assert config_problems(yaml.safe_load(example)) == []
