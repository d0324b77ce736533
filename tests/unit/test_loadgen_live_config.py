"""The live config: a merge patch over the base, checked whole, counted by generation."""

import copy

import pytest

from loadgen.config import load_raw_config
from loadgen.live_config import LiveConfig
from stormlab_common.config import ConfigError


def live():
    return LiveConfig(load_raw_config(env={}, overrides=["seed=1", "arrivals.requests_per_second=2"]))


def test_it_starts_at_the_base():
    config = live()
    assert (config.generation, config.patch) == (0, {})
    assert config.raw == config.base and config.config.requests_per_second == 2.0
    assert config.message() == {"generation": 0, "patch": {}}


def test_a_patch_merges_into_the_base_and_counts_a_generation():
    config = live()
    typed = config.replace({"arrivals": {"process": "periodic"}, "clients": {"default": {"policy": {"name": "fixed"}}}})
    assert config.generation == 1
    assert config.raw["arrivals"] == {"process": "periodic", "requests_per_second": 2}  # merged, not replaced
    assert config.raw["clients"]["default"]["deadline_seconds"] == 5.0  # defaults filled
    assert typed is config.config and typed.arrival_process == "periodic"
    assert typed.profiles[0].policy_name == "fixed"


def test_each_patch_replaces_the_last_and_an_empty_one_restores_the_base():
    config = live()
    config.replace({"arrivals": {"process": "periodic"}})
    config.replace({"max_in_flight_per_client": 5})
    assert config.patch == {"max_in_flight_per_client": 5}
    assert config.raw["arrivals"]["process"] == "poisson"  # the first patch is gone
    config.replace({})
    assert (config.generation, config.raw) == (3, config.base)


def test_the_same_patch_twice_gives_the_same_config():
    config = live()
    patch = {"clients": {"sdk": {"policy": {"name": "full-jitter"}}}}
    first = config.replace(patch)
    assert config.replace(patch) == first and config.generation == 2


def test_null_removes_a_key_as_in_a_merge_patch():
    config = live()
    config.replace({"clients": {"default": None, "sdk": {"policy": {"name": "retry-budget"}}}})
    assert list(config.raw["clients"]) == ["sdk"]
    config.replace({"seed": None})  # back to the schema's default
    assert config.raw["seed"] is None


def test_a_bad_patch_names_every_problem_and_changes_nothing():
    config = live()
    config.replace({"seed": 5})
    before = copy.deepcopy((config.generation, config.patch, config.raw))
    with pytest.raises(ConfigError) as caught:
        config.replace({"clients": {"sdk": {"policy": {"name": "full-jitter", "max_attempts": 0}}},
                        "arrivals": {"requests_per_second": -1},
                        "workload": {"w": {"target": "nowhere", "path": "/x"}}})
    assert caught.value.problems == ["arrivals.requests_per_second: expected a positive number, got -1"]
    assert (config.generation, config.patch, config.raw) == before
    # the schema's problems come first; the cross-checks (targets, policies) once it passes
    with pytest.raises(ConfigError) as caught:
        config.replace({"clients": {"sdk": {"policy": {"name": "full-jitter", "max_attempts": 0}}},
                        "workload": {"w": {"target": "nowhere", "path": "/x"}}})
    assert caught.value.problems == [
        "workload.w.target: unknown target 'nowhere'; targets: api",
        "clients.sdk.policy.max_attempts: expected a number >= 1, got 0"]
    assert str(caught.value).startswith("invalid configuration patch:")
    assert (config.generation, config.patch, config.raw) == before


def test_a_patch_must_be_an_object():
    for patch, kind in (([1], "an array"), ("x", "a string"), (None, "null"), (3, "a number")):
        with pytest.raises(ConfigError) as caught:
            live().replace(patch)
        assert caught.value.problems == [f"(top level): expected a JSON object (a merge patch), got {kind}"]


def test_what_is_read_only_at_start_cannot_change():
    config = live()
    with pytest.raises(ConfigError) as caught:
        config.replace({"metrics_port": 1234, "shape": {"kind": "steady", "clients": 1, "seconds": 5}})
    assert caught.value.problems == [
        "metrics_port: cannot change while locust runs (the metrics server is bound at start); restart locust with it in its config",
        "shape: cannot change while locust runs (locust picks its load shape at start); restart locust with it in its config"]
    config.replace({"metrics_port": config.base["metrics_port"]})  # restating it is no change
    assert config.generation == 1


def test_a_worker_adopts_the_masters_generation():
    master, worker = live(), live()
    master.replace({"seed": 9})
    master.replace({"seed": 11})
    worker.adopt(**master.message())
    assert (worker.generation, worker.raw) == (2, master.raw)


def test_the_base_is_never_modified():
    config = live()
    base = copy.deepcopy(config.base)
    config.replace({"clients": {"default": {"policy": {"name": "fixed", "max_attempts": 2}}}, "targets": {"b": {"url": "http://b:1"}}})
    config.patch["clients"]["default"]["policy"]["name"] = "changed"
    assert config.base == base
