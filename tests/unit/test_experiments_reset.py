"""``experiments reset`` puts the real proxy, a real service and the loadgen's real
/stormlab/config (in-process, over real HTTP) back to what the stack's files define, whatever
was changed live and in whatever order, and says each thing it put back."""

from __future__ import annotations

import contextlib

import pytest

from experiments.clients.loadgen import LoadgenClient
from experiments.clients.proxy import ProxyClient
from experiments.clients.services import ServicesClient
from experiments.reset import differences, reset_stack, told
from loadgen.config import load_base
from proxy.config import config_from_dict
from services.config import config_from
from stormlab_common.model import dump
from stormlab_common.scenario.stack_definition import StackDefinition
from tests.unit.experiments_live_components import ScriptCaller, loadgen_api, proxy_admin, service

LINKS = {"dns": {"upstream": "127.0.0.1:9"}, "api": {"upstream": "127.0.0.1:9"}}
BORDER = {"connections": {"new_per_second": 100},
          "upstream": {"bytes_per_second": 10_000_000, "burst_bytes": 65536}}
API = {"name": "api", "replica": "a1", "capacity": {"workers": 2, "queue_limit": 50}}


def definition(devices: dict) -> StackDefinition:
    """What the files define: the proxy as proxy_admin starts it (links on port 0)."""
    proxy = config_from_dict({"listen_host": "127.0.0.1", "devices": devices,
                              "links": {name: {"listen_port": 0, **link} for name, link in LINKS.items()}})
    return StackDefinition(proxy=proxy, services={"api": config_from(API)}, loadgen_base=load_base(env={}))


@contextlib.contextmanager
def components(users: int = 0):
    with (proxy_admin(LINKS, {"border": BORDER}) as (proxy_url, topology), service(API) as api,
          loadgen_api(applied=True, users=users) as (loadgen_url, live)):
        yield (ProxyClient(proxy_url), ServicesClient(ScriptCaller({"api": api})), LoadgenClient(loadgen_url),
               topology, live)


def state(proxy: ProxyClient, services: ServicesClient, live) -> dict:
    return {"settings": proxy.settings(), "devices": {d["name"]: d["config"] for d in proxy.devices()},
            "links": {link["name"]: link["config"] for link in proxy.links()},
            "api": services.config("api")["config"], "clients": (live.patch, live.raw)}


def test_every_live_change_is_put_back_and_each_is_told():
    with components() as (proxy, services, loadgen, topology, live):
        found = state(proxy, services, live)
        proxy.patch_device("border", {"downstream": {"bytes_per_second": 1e6}})  # the README's curl
        proxy.create_device({"name": "dns-path"})
        proxy.patch_link("dns", {"device": "dns-path"})  # the device can go only once the link is back
        proxy.patch_link("api", {"faults": {"slow": {"type": "latency", "latency_seconds": 0.05}}})
        proxy.create_link({"name": "extra", "listen_port": 0, "upstream": "127.0.0.1:9"})
        proxy.patch_settings({"connect_timeout_seconds": 0.5})
        services.patch_config("api", {"mitigations": {"admission_control": {"enabled": True}}})
        loadgen.put_config({"arrivals": {"requests_per_second": 2}})
        assert state(proxy, services, live) != found

        outcome = reset_stack(definition({"border": BORDER}), proxy, services, loadgen)
        assert outcome.failed == [] and outcome.notes == []
        assert state(proxy, services, live) == found
        assert set(topology.devices) == {"border"} and set(topology.links) == {"api", "dns"}
        assert outcome.changed == [
            "device border: downstream.bytes_per_second: 1000000 -> null",
            'link dns: device: "dns-path" -> "border"',
            'link api: faults.slow: {"direction": "downstream", "jitter_seconds": 0, "latency_seconds": 0.05, '
            '"type": "latency"} -> unset',
            "link extra: deleted (the files do not define it)",
            "device dns-path: deleted (the files do not define it)",
            "the proxy's settings: connect_timeout_seconds: 0.5 -> 2",
            "api's settings: mitigations.admission_control.enabled: true -> false",
            "the clients' config: live patch of arrivals dropped, back to its base"]

        again = reset_stack(definition({"border": BORDER}), proxy, services, loadgen)
        assert (again.changed, again.failed) == ([], [])
        assert told(again, "p") == ["reset: project 'p': nothing to put back; the proxy, the services and the "
                                    "clients' config are as the stack's files define them"]


def test_a_defined_device_that_is_gone_is_created_again_and_a_conflict_is_tried_again_last():
    with components() as (proxy, services, loadgen, _topology, _live):
        # a chunk size over the defined device's burst needs that burst raised first: put back in
        # the order devices, then settings, the device conflicts until the settings are back
        proxy.patch_device("border", {"upstream": {"burst_bytes": 131072}})
        proxy.patch_settings({"chunk_bytes": 131072})
        files = definition({"border": BORDER, "spare": {}})
        outcome = reset_stack(files, proxy, services, loadgen)
        assert outcome.failed == []
        assert outcome.changed == ["device spare: created again (the files define it)",
                                   "the proxy's settings: chunk_bytes: 131072 -> 65536",
                                   "device border: upstream.burst_bytes: 131072 -> 65536"]
        assert proxy.device("border")["config"]["upstream"]["burst_bytes"] == 65536
        assert proxy.device("spare")["config"] == dump(files.proxy.devices["spare"])
        assert reset_stack(files, proxy, services, loadgen).changed == []


def test_what_cannot_be_reached_is_told_and_the_rest_still_goes_back():
    with components() as (proxy, services, _loadgen, _topology, _live):
        proxy.patch_device("border", {"connections": {"new_per_second": 5}})
        gone = LoadgenClient("http://127.0.0.1:9", timeout=2)
        outcome = reset_stack(definition({"border": BORDER}), proxy, services, gone)
        assert outcome.changed == ["device border: connections.new_per_second: 5 -> 100"]
        assert len(outcome.failed) == 1 and outcome.failed[0].startswith("the clients' config: could not be read: ")
        lines = told(outcome, "p")
        assert lines[0] == "  device border: connections.new_per_second: 5 -> 100"
        assert lines[1].startswith("  NOT put back: the clients' config: could not be read: GET http://127.0.0.1:9")
        assert lines[-1] == ("reset: project 'p': 1 thing(s) could not be put back (above); the rest is as the "
                             "stack's files define it")


def test_running_clients_are_left_running_and_said():
    with components(users=3) as (proxy, services, loadgen, _topology, _live):
        outcome = reset_stack(definition({"border": BORDER}), proxy, services, loadgen)
        assert (outcome.changed, outcome.failed) == ([], [])
        assert outcome.notes == ["clients are running (started from locust's page?): a reset leaves them; stop "
                                 "them there"]
        assert told(outcome, "p")[-1] == f"  note: {outcome.notes[0]}"


class Replicas:
    """Stack.call_service over several real replicas of one service: each is called, in turn."""

    def __init__(self, service: str, urls: list[str]):
        self.callers = [ScriptCaller({service: url}) for url in urls]

    def call_service(self, service, method, path, body=None):
        return [answer for caller in self.callers for answer in caller.call_service(service, method, path, body)]


def test_every_replica_is_put_back_and_a_scaled_out_service_is_said():
    with (components() as (proxy, _services, loadgen, _topology, _live), service(API) as first,
          service({**API, "replica": "a2"}) as second):
        services = ServicesClient(Replicas("api", [first, second]))
        ScriptCaller({"api": second}).call_service("api", "PATCH", "/admin/config", {"queue": {"discipline": "lifo"}})
        outcome = reset_stack(definition({"border": BORDER}), proxy, services, loadgen)
        assert outcome.failed == [] and len(outcome.changed) == 1
        assert outcome.changed[0].startswith("api's settings: queue.discipline: \"lifo\" -> ")
        assert [answer["config"]["queue"] for answer in services.replica_configs("api")] == [
            dump(config_from(API))["queue"]] * 2
        assert outcome.notes == ["api runs 2 replicas, the files start 1: a reset leaves them (make trigger "
                                 "SERVICE=api REPLICAS=1 scales it back)"]


@pytest.mark.parametrize(("defined", "now", "said"), [
    ({"a": 1}, {"a": 2}, ["a: 2 -> 1"]),
    ({"a": {"b": None}}, {"a": {"b": True, "c": "x"}}, ["a.b: true -> null", 'a.c: "x" -> unset']),
    ({"a": {"b": 1}}, {}, ['a: unset -> {"b": 1}']),
    ({"a": [1]}, {"a": [1]}, []),
])
def test_differences_name_each_leaf_in_json(defined, now, said):
    assert differences(defined, now) == said
