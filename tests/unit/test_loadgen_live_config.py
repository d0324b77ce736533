"""The live config: a merge patch over the base, checked whole, counted by generation."""

import copy

import pytest

from loadgen.config import load_base
from loadgen.live_config import LiveConfig, PatchRefused
from stormlab_common.config import ConfigError
from stormlab_common.contracts.policies import FixedParams


def live():
    return LiveConfig(load_base(env={}, overrides=["seed=1", "arrivals.requests_per_second=2"]))


def test_it_starts_at_the_base():
    config = live()
    assert (config.generation, config.patch) == (0, {})
    assert config.config == config.base_config and config.config.arrivals.requests_per_second == 2.0
    assert config.raw["arrivals"] == {"process": "poisson", "requests_per_second": 2.0}  # defaults filled
    assert config.message() == {"generation": 0, "patch": {}}


def test_a_patch_merges_into_the_base_and_counts_a_generation():
    config = live()
    typed = config.replace({"arrivals": {"process": "periodic"}, "clients": {"default": {"policy": {"name": "fixed"}}}})
    assert config.generation == 1
    assert config.raw["arrivals"] == {"process": "periodic", "requests_per_second": 2.0}  # merged, not replaced
    assert config.raw["clients"]["default"]["deadline_seconds"] == 5.0  # defaults filled
    assert typed is config.config and typed.arrivals.process == "periodic"
    assert typed.profiles[0].policy == FixedParams()


def test_each_patch_replaces_the_last_and_an_empty_one_restores_the_base():
    config = live()
    config.replace({"arrivals": {"process": "periodic"}})
    config.replace({"max_in_flight_per_client": 5})
    assert config.patch == {"max_in_flight_per_client": 5}
    assert config.raw["arrivals"]["process"] == "poisson"  # the first patch is gone
    config.replace({})
    assert (config.generation, config.config) == (3, config.base_config)


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


def test_a_bad_patch_names_every_problem_at_once_and_changes_nothing():
    config = live()
    config.replace({"seed": 5})
    before = copy.deepcopy((config.generation, config.patch, config.config))
    with pytest.raises(PatchRefused) as caught:
        config.replace({"clients": {"sdk": {"policy": {"name": "full-jitter", "max_attempts": 0}},
                                    "other": {"policy": {"name": "fixed", "delay_seconds": -1}}},
                        "arrivals": {"requests_per_second": -1},
                        "workload": {"w": {"target": "nowhere", "path": "/x"}}})
    assert caught.value.problems == [
        "arrivals.requests_per_second: expected a positive number, got -1",
        "clients.other.policy.delay_seconds: expected a number >= 0, got -1",
        "clients.sdk.policy.max_attempts: expected a number >= 1, got 0",
        "workload.w.target: unknown target 'nowhere'; targets: api"]
    assert caught.value.malformed  # the patch itself breaks the schema: 400, not 409
    assert str(caught.value).startswith("invalid configuration patch:")
    assert (config.generation, config.patch, config.config) == before


def test_a_well_formed_patch_the_base_cannot_take_is_a_conflict():
    config = live()
    with pytest.raises(PatchRefused) as caught:
        config.replace({"workload": {"w": {"target": "nowhere", "path": "/x"}},
                        "clients": {"new": {"weight": 2}}})
    assert caught.value.problems == ["clients.new.policy: required key is missing",
                                     "workload.w.target: unknown target 'nowhere'; targets: api"]
    assert not caught.value.malformed and config.generation == 0


def test_a_profile_patch_merges_into_the_base_profile():
    config = LiveConfig({"clients": {"sdk": {"policy": {"name": "fixed", "delay_seconds": 2}, "weight": 3}}})
    config.replace({"clients": {"sdk": {"policy": {"max_attempts": 5}}}})
    assert config.config.clients["sdk"].policy == FixedParams(max_attempts=5, delay_seconds=2.0)
    assert config.config.clients["sdk"].weight == 3.0
    # a switch by name keeps the old policy's parameters, unless they are removed (null)
    with pytest.raises(PatchRefused) as caught:
        config.replace({"clients": {"sdk": {"policy": {"name": "full-jitter"}}}})
    assert caught.value.problems == [
        "clients.sdk.policy.delay_seconds: unknown key; expected one of: base_seconds, cap_seconds, max_attempts, name"]
    config.replace({"clients": {"sdk": {"policy": {"name": "full-jitter", "delay_seconds": None}}}})
    assert config.config.clients["sdk"].policy.name == "full-jitter"


def test_a_null_for_a_key_that_is_nowhere_is_still_refused():
    with pytest.raises(PatchRefused) as caught:
        live().replace({"clients": {"default": {"polcy": None}}})
    assert caught.value.malformed and caught.value.problems == [
        "clients.default.polcy: unknown key; expected one of: attempt_timeout_seconds, connect_timeout_seconds, "
        "deadline_seconds, policy, respect_retry_after, reuse_connections, weight"]


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
    config.replace({"metrics_port": 9646, "shape": None})  # restating them is no change
    assert config.generation == 1
    with pytest.raises(PatchRefused) as caught:
        config.replace({"membership": {"service": "api"}, "workload": {"w": {"target": "x", "path": "/"}}})
    assert caught.value.problems == [  # with the others, all at once
        "workload.w.target: unknown target 'x'; targets: api",
        "membership.target: unknown target 'dns'; targets: api",
        "membership: cannot change while locust runs (each client starts its membership watch with it); restart locust with it in its config"]


def test_a_worker_adopts_the_masters_generation():
    master, worker = live(), live()
    master.replace({"seed": 9})
    master.replace({"seed": 11})
    worker.adopt(**master.message())
    assert (worker.generation, worker.config) == (2, master.config)


def test_the_base_is_never_modified():
    config = live()
    base = copy.deepcopy(config.base)
    config.replace({"clients": {"default": {"policy": {"name": "fixed", "max_attempts": 2}}}, "targets": {"b": {"url": "http://b:1"}}})
    config.patch["clients"]["default"]["policy"]["name"] = "changed"
    assert config.base == base
