"""The offline check and the components agree: on values drawn from the contracts' schemas,
good and with a mistake, a scenario part is refused offline exactly when the real component
refuses what the runner would send for it, with the same problem lines (less the part's
path in the scenario). Each component runs in-process on a port the kernel picks, from the
stack's own settings: the proxy's admin API (devices, new devices, links), a service's
/admin/config, the loadgen's /stormlab/config."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.change_bodies import client_patch_for_run, restoring_patch, service_restore_body
from experiments.validation import scenario_problems
from stormlab_common.config import read_yaml_file
from stormlab_common.contracts.loadgen import LoadgenConfig
from stormlab_common.contracts.proxy import Device, Link
from stormlab_common.contracts.service import live_change_schema
from stormlab_common.model import dump, patch_schema_of, schema_of
from stormlab_common.scenario.stack_definition import read_stack_definition
from tests.unit.experiments_live_components import loadgen_api, proxy_admin, service
from tests.unit.schema_strategies import bad_values, values

ROOT = Path(__file__).resolve().parents[2]
STACK = read_stack_definition(ROOT)
SKELETON = {"name": "agreement", "description": "one part under test", "clients": {"count": 1},
            "expect": {"verdict": "stable", "reasoning": "nothing happens"}, "timeline": {"warmup": 10, "end": 60}}
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# what a scenario's clients.config may change (seed is the scenario's own key; the rest are
# read at start, and a change to them is refused alike)
LOADGEN = schema_of(LoadgenConfig)
CLIENT_PATCH = {"type": "object", "additionalProperties": False, "properties": {
    key: LOADGEN["properties"][key] for key in ("clients", "arrivals", "workload", "targets", "fetch_on_start",
                                                "max_in_flight_per_client", "max_attempts_per_second",
                                                "metrics_port")}}


def good_or_bad(schema: dict) -> st.SearchStrategy:
    return values(schema) | bad_values(schema)


def offline(part: dict, prefix: str) -> list[str]:
    """The problems the validator finds in the scenario part at ``prefix``, less that prefix."""
    found = scenario_problems({**SKELETON, **part}, STACK)
    return [problem[len(prefix) + 1:] for problem in found if problem.startswith(prefix + ".")]


def answered(response: requests.Response) -> list[str] | None:
    """The problems a component answered a refusal with; None if it took the change."""
    if response.status_code < 400:
        return None
    assert response.status_code in (400, 409), response.text
    return response.json()["problems"]


def agreeing(mine: list[str], theirs: list[str] | None, seen: Counter, what) -> None:
    assert (theirs or []) == mine, what
    seen["refused" if mine else "taken"] += 1


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def proxy_url():
    assert STACK.proxy.chunk_bytes == 65536  # the chunk size running_proxy starts with
    links = {name: link for name, link in dump(STACK.proxy.links).items() if name in ("dns", "ops-dns")}
    with proxy_admin(links, dump(STACK.proxy.devices)) as (url, _):
        yield url


def test_device_patches_agree_with_the_proxy(proxy_url, http):
    seen, original = Counter(), dump(STACK.proxy.devices["border"])

    @EXAMPLES
    @given(good_or_bad(patch_schema_of(Device)))
    def check(patch):
        theirs = answered(http.patch(f"{proxy_url}/devices/border", json=patch))
        if theirs is None:  # taken: back to the stack's
            assert http.patch(f"{proxy_url}/devices/border", json=original).status_code == 200
        agreeing(offline({"topology": {"devices": {"border": patch}}}, "topology.devices.border"), theirs, seen,
                 patch)

    check()
    assert seen["taken"] and seen["refused"], seen


def test_new_devices_agree_with_the_proxy(proxy_url, http):
    seen = Counter()

    @EXAMPLES
    @given(good_or_bad(schema_of(Device)))
    def check(config):
        theirs = answered(http.post(f"{proxy_url}/devices", json={"name": "fresh", **config}))
        if theirs is None:
            assert http.delete(f"{proxy_url}/devices/fresh").status_code == 204
        agreeing(offline({"topology": {"devices": {"fresh": config}}}, "topology.devices.fresh"), theirs, seen,
                 config)

    check()
    assert seen["taken"] and seen["refused"], seen


def test_link_patches_agree_with_the_proxy(proxy_url, http):
    seen = Counter()
    # the proxy here listens on ports the kernel picks, not the stack's: a port is not drawn
    schema = copy.deepcopy(patch_schema_of(Link))
    del schema["properties"]["listen_port"]

    @EXAMPLES
    @given(good_or_bad(schema))
    def check(patch):
        before = http.get(f"{proxy_url}/links/dns").json()["config"]
        theirs = answered(http.patch(f"{proxy_url}/links/dns", json=patch))
        if theirs is None:
            now = http.get(f"{proxy_url}/links/dns").json()["config"]
            assert http.patch(f"{proxy_url}/links/dns", json=restoring_patch(before, now)).status_code == 200
        agreeing(offline({"topology": {"links": {"dns": patch}}}, "topology.links.dns"), theirs, seen, patch)

    check()
    assert seen["taken"] and seen["refused"], seen


@pytest.fixture(scope="module")
def kv_url():
    with service(read_yaml_file(ROOT / "services/kv.yml")) as url:
        yield url


def test_service_changes_agree_with_the_service(kv_url, http):
    seen = Counter()
    original = service_restore_body(http.get(f"{kv_url}/admin/config").json())
    fixed = st.sampled_from([{"port": 9000}, {"name": "other", "capacity": {"workers": 2}}, {"kv": None}])

    @EXAMPLES
    @given(good_or_bad(live_change_schema()) | fixed)
    def check(change):
        theirs = answered(http.patch(f"{kv_url}/admin/config", json=change))
        if theirs is None:
            assert http.patch(f"{kv_url}/admin/config", json=original).status_code == 200
        agreeing(offline({"services": {"kv": change}}, "services.kv"), theirs, seen, change)

    check()
    assert seen["taken"] and seen["refused"], seen


@pytest.fixture(scope="module")
def loadgen():
    with loadgen_api(ROOT / "loadgen/config.yml") as served:
        yield served


def test_client_configs_agree_with_the_loadgen(loadgen, http):
    url, live = loadgen
    base = http.put(f"{url}/stormlab/config", json={}).json()["config"]
    base_profiles, base_workload = base["clients"], base["workload"]
    assert (base_profiles, base_workload) == (STACK.base_profiles, STACK.base_workload)
    seen = Counter()

    @EXAMPLES
    @given(good_or_bad(CLIENT_PATCH))
    def check(config):
        sent = client_patch_for_run(config, base_profiles, 1, base_workload)  # what the lab sends (seed: SKELETON's)
        theirs = answered(http.put(f"{url}/stormlab/config", json=sent))
        agreeing(offline({"clients": {"count": 1, "config": config}}, "clients.config"), theirs, seen, config)

    check()
    assert seen["taken"] and seen["refused"], seen
    assert live.generation == seen["taken"] + 1  # every change taken was applied, no refused one
