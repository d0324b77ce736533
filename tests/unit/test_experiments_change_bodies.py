"""What the lab sends, derived purely: the clients' config for a run and after a policy
switch, a new device, and the bodies that put things back. Checked once by example and
once against the load generator's own config rules, for every scenario of the repository."""

import copy
from pathlib import Path

import pytest

from experiments.change_bodies import (
    client_patch_for_run,
    client_setting_patch,
    device_creation_body,
    proxy_restore_body,
    service_restore_body,
    switched_client_patch,
)
from loadgen.config import load_base
from loadgen.live_config import LiveConfig
from stormlab_common.model import dump
from stormlab_common.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = {"sdk": {"weight": 1, "policy": {"name": "full-jitter"}}}


def test_a_run_with_its_own_profiles_replaces_the_bases():
    scenario = {"arrivals": {"requests_per_second": 1.0}, "clients": {"internal": {"policy": {"name": "naive"}}}}
    kept = copy.deepcopy(scenario)
    patch = client_patch_for_run(scenario, BASE, seed=7)
    assert patch == {"arrivals": {"requests_per_second": 1.0}, "seed": 7,
                     "clients": {"sdk": None, "internal": {"policy": {"name": "naive"}}}}
    assert scenario == kept  # the scenario's own config is left as it was
    patch["clients"]["internal"]["policy"]["name"] = "changed"
    assert scenario == kept  # and shares nothing with the patch


def test_a_run_without_profiles_keeps_the_bases():
    assert client_patch_for_run({"arrivals": {"requests_per_second": 2}}, BASE, seed=3) == {
        "arrivals": {"requests_per_second": 2}, "seed": 3}


def test_a_run_with_its_own_workload_replaces_the_bases_calls():
    base_workload = {"resolve": {"target": "dns", "path": "/r"}, "kv-get": {"target": "kv", "path": "/k"}}
    patch = client_patch_for_run({"workload": {"page": {"target": "own", "path": "/"}, "kv-get": {"weight": 2}}},
                                 BASE, seed=1, base_workload=base_workload)
    assert patch["workload"] == {"resolve": None, "kv-get": {"weight": 2}, "page": {"target": "own", "path": "/"}}
    assert "clients" not in patch  # the base's profiles stay when it names none
    assert client_patch_for_run({"seed": 2}, BASE, seed=1, base_workload=base_workload) == {"seed": 1}


def test_a_run_naming_a_base_profile_patches_it():
    patch = client_patch_for_run({"clients": {"sdk": {"weight": 3}}}, BASE, seed=1)
    assert patch["clients"] == {"sdk": {"weight": 3}}


def test_a_switch_replaces_the_policy_of_every_profile_in_force_whole():
    run = client_patch_for_run({"clients": {"internal": {"policy": {"name": "naive"}, "deadline_seconds": 5}}},
                               BASE, seed=7)
    kept = copy.deepcopy(run)
    policy = {"name": "retry-budget", "mode": "ratio", "ratio": 0.1}
    switched = switched_client_patch(run, BASE, {"policy": policy})
    assert switched == {"seed": 7, "clients": {"sdk": None,
                                               "internal": {"policy": policy, "deadline_seconds": 5}}}
    assert run == kept


def test_a_switch_without_a_run_patch_changes_the_base_profiles():
    switched = switched_client_patch(None, BASE, {"policy": {"name": "none"}})
    assert switched == {"clients": {"sdk": {"weight": 1, "policy": {"name": "none"}}}}
    assert BASE["sdk"]["policy"] == {"name": "full-jitter"}


def test_a_setting_keeps_the_rest_of_the_run_patch():
    run = {"arrivals": {"requests_per_second": 2}, "seed": 3}
    assert client_setting_patch(run, "fetch_on_start", True) == {**run, "fetch_on_start": True}
    assert "fetch_on_start" not in run
    assert client_setting_patch(None, "fetch_on_start", True) == {"fetch_on_start": True}


def test_a_new_device_is_posted_with_its_name_and_settings():
    limits = {"connections": {"new_per_second": 1000}}
    body = device_creation_body("dns-path", limits)
    assert body == {"name": "dns-path", "connections": {"new_per_second": 1000}}
    body["connections"]["new_per_second"] = 1
    assert limits == {"connections": {"new_per_second": 1000}}


def test_bodies_that_put_things_back():
    assert proxy_restore_body({"name": "dns", "config": {"device": "border"}, "state": {}}) == {"device": "border"}
    found = {"config": {"name": "api", "port": 8080, "capacity": {"workers": 4}, "work": {"x": 1},
                        "queue": {}, "mitigations": {"a": {"enabled": False}}},
             "live_sections": ["capacity", "work", "queue", "mitigations"]}
    assert service_restore_body(found) == {"capacity": {"workers": 4}, "work": {"x": 1}, "queue": {},
                                           "mitigations": {"a": {"enabled": False}}}
    with pytest.raises(KeyError):
        service_restore_body({"capacity": {"workers": 4}})  # not a GET /admin/config answer


def loadgen_live_config() -> LiveConfig:
    return LiveConfig(load_base(file=ROOT / "loadgen/config.yml", env={}))


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenarios_client_config_is_one_the_load_generator_takes(path):
    scenario = load_scenario(path)
    live = loadgen_live_config()
    base_profiles = live.raw["clients"]
    run = client_patch_for_run(scenario.client_config, base_profiles, scenario.seed)
    live.replace(run)  # raises ConfigError naming every problem
    if "clients" in scenario.client_config:  # its own profiles only, none of the base's
        assert set(live.raw["clients"]) == set(scenario.client_config["clients"])
    for timed in scenario.actions:
        if timed.action.name == "switch_policy":
            run = switched_client_patch(run, base_profiles, {"policy": dump(timed.action.params.policy)})
            live.replace(run)
            assert {p["policy"]["name"] for p in live.raw["clients"].values()} == {
                timed.action.params.policy.name}
