"""The proxy's contract: what its config, devices, links and faults accept, the rules that
weigh them against the live state, and the values the proxy derives from them."""

import dataclasses

import jsonschema
import pytest

from stormlab_common.config import ConfigError
from stormlab_common.contracts.proxy import (
    ConnectionLimits,
    Device,
    DirectionLimits,
    Link,
    NewDevice,
    NewLink,
    ProxyConfig,
    Settings,
    device_problems,
    duplicate_ports,
    effective_burst_bytes,
    effective_device,
    effective_new_burst,
    link_problems,
    patch_problems,
    patched_link,
    settings_problems,
)
from stormlab_common.contracts.proxy_faults import HttpErrorParams, LatencyParams, ResetParams
from stormlab_common.model import defaults, dump, parse, patch_schema_of, problems_of, schema_of

CHUNK = 65536


def test_defaults_are_the_proxys():
    assert defaults(Settings) == {"chunk_bytes": 65536, "connect_timeout_seconds": 2.0, "resolve_ttl_seconds": 1.0}
    assert defaults(Device)["downstream"] == {"bytes_per_second": None, "burst_bytes": None, "buffer_bytes": 4194304}
    assert defaults(Device)["connections"]["on_overflow"] == "refuse"
    config = parse(ProxyConfig, {})
    assert config.devices == {"border": Device()} and config.links == {}
    assert (config.admin.host, config.admin.port, config.seed) == ("0.0.0.0", 8474, None)
    assert config.settings == Settings()
    for cls in (Settings, Device, Link, NewDevice, NewLink, ProxyConfig):
        jsonschema.Draft202012Validator.check_schema(schema_of(cls))
        jsonschema.Draft202012Validator.check_schema(patch_schema_of(cls))


def test_a_link_and_its_faults_are_typed():
    link = parse(Link, {"listen_port": 8081, "upstream": "api:8080", "protocol": "http", "faults": {
        "slow": {"type": "latency", "latency_seconds": 0.05},
        "rst": {"type": "reset", "probability": 0.1, "on": "request"},
        "shed": {"type": "http_error", "probability": 0.2}}})
    assert (link.upstream_host, link.upstream_port, link.device) == ("api", 8080, "border")
    assert link.faults == {"slow": LatencyParams("latency", 0.05, 0.0, "downstream"),
                           "rst": ResetParams("reset", 0.1, "request"),
                           "shed": HttpErrorParams("http_error", 0.2, 503, 1)}
    assert [f.acts_on_requests for f in link.faults.values()] == [False, True, True]
    assert parse(Link, dump(link)) == link


@pytest.mark.parametrize(("data", "problems"), [
    ({"listen_port": 1, "upstream": "svc:0"}, ["upstream: expected a port in 1..65535, got 0"]),
    ({"listen_port": 1, "upstream": "svc:65536"}, ["upstream: expected a port in 1..65535, got 65536"]),
    ({"listen_port": 1, "upstream": "svc:08"},
     ["upstream: expected host:port of the service the link forwards to, got 'svc:08'"]),
    ({"listen_port": 1, "upstream": "svc:1", "faults": {"r": {"type": "reset", "probability": 1, "on": "request"}}},
     ["faults.r: a reset fault acting on requests needs protocol: http on its link, got protocol: tcp"]),
    ({"listen_port": 1, "upstream": "svc:1", "faults": {"x": {"type": "teleport"}}},
     ["faults.x.type: expected one of 'latency', 'reset', 'http_error', got 'teleport'"]),
    ({"listen_port": 1, "upstream": "svc:1", "faults": {"e": {"type": "http_error", "probability": 2}}},
     ["faults.e.probability: expected a number <= 1, got 2"]),
])
def test_a_links_problems_are_named(data, problems):
    assert problems_of(Link, data) == problems


def test_creation_bodies_name_what_they_create():
    device = parse(NewDevice, {"name": "dns-path", "downstream": {"bytes_per_second": 1e6}})
    assert device.config == Device(downstream=DirectionLimits(bytes_per_second=1e6))
    link = parse(NewLink, {"name": "dns", "listen_port": 0, "upstream": "dns:8080"})
    assert link.config == Link(0, "dns:8080")
    assert problems_of(NewDevice, {"colour": 1}) == [
        "colour: unknown key; expected one of: connections, downstream, name, upstream",
        "name: required key is missing"]


def test_a_burst_or_buffer_below_one_chunk_is_refused_against_the_chunk_size_given():
    device = Device(upstream=DirectionLimits(burst_bytes=1000), downstream=DirectionLimits(buffer_bytes=2000))
    assert device_problems(device, 1000) == []
    assert device_problems(device, 4096, ("devices", "border")) == [
        "devices.border.upstream.burst_bytes: expected at least one chunk (4096 bytes), got 1000",
        "devices.border.downstream.buffer_bytes: expected at least one chunk (4096 bytes), got 2000"]
    assert settings_problems(Settings(chunk_bytes=1000), {"border": device}) == []
    assert settings_problems(Settings(chunk_bytes=1500), {"border": device}) == [
        "devices.border.upstream.burst_bytes: expected at least one chunk (1500 bytes), got 1000"]


def test_a_link_must_cross_a_device_that_exists_and_ports_are_not_shared():
    link = Link(8081, "api:8080", device="side")
    assert link_problems(link, {"border", "side"}) == []
    assert link_problems(link, {"border"}, ("links", "api")) == [
        "links.api.device: unknown device 'side'; defined devices: border"]
    assert link_problems(link, set()) == ["device: unknown device 'side'; defined devices: (none defined)"]
    assert duplicate_ports({"a": 9000, "b": 9000, "c": 0, "d": 0, "e": 9001}) == [
        "links: listen_port 9000 is used by more than one link (a, b)"]


def test_the_file_weighs_its_parts_against_each_other():
    with pytest.raises(ConfigError) as caught:
        parse(ProxyConfig, {"chunk_bytes": 4096, "devices": {"side": {"upstream": {"burst_bytes": 1000}}},
                            "links": {"api": {"listen_port": 1, "upstream": "api:1"}}})
    assert caught.value.problems == [
        "devices.side.upstream.burst_bytes: expected at least one chunk (4096 bytes), got 1000",
        "links.api.device: unknown device 'border'; defined devices: side"]


def test_effective_bursts():
    assert effective_burst_bytes(DirectionLimits(), CHUNK) == 4 * CHUNK  # unlimited: four chunks
    assert effective_burst_bytes(DirectionLimits(bytes_per_second=1e6), CHUNK) == 4 * CHUNK  # 20 ms: 20 kB
    assert effective_burst_bytes(DirectionLimits(bytes_per_second=50e6), CHUNK) == 1_000_000  # 20 ms
    assert effective_burst_bytes(DirectionLimits(bytes_per_second=50e6, burst_bytes=CHUNK), CHUNK) == CHUNK
    assert effective_new_burst(ConnectionLimits()) == 1
    assert effective_new_burst(ConnectionLimits(new_per_second=200)) == 10  # 50 ms
    assert effective_new_burst(ConnectionLimits(new_per_second=200, new_burst=3)) == 3
    device = Device(downstream=DirectionLimits(bytes_per_second=50e6), connections=ConnectionLimits(new_per_second=10))
    effective = effective_device(device, CHUNK)
    assert (effective.downstream.burst_bytes, effective.upstream.burst_bytes) == (1_000_000, 4 * CHUNK)
    assert effective.connections == dataclasses.replace(device.connections, new_burst=1)


def test_a_patch_is_checked_as_a_patch_with_the_words_of_the_whole():
    border = Device()
    assert patch_problems(Device, border, {"upstream": None, "connections": {"max_active": None}}) == []
    assert patch_problems(Device, border, {"upstream": {"burst_bytes": 0}}) == [
        "upstream.burst_bytes: expected a number >= 1, got 0"]
    assert patch_problems(Device, border, {"ghost": None}) == [
        "ghost: unknown key; expected one of: connections, downstream, upstream"]
    link = Link(1, "api:1")
    assert patch_problems(Link, link, {"faults": {"f": {"type": "latency"}}}) == [
        "faults.f.latency_seconds: required key is missing"]
    assert patch_problems(Link, link, {"upstream": None}) == ["upstream: required key is missing"]
    assert patch_problems(Settings, Settings(), [1]) == ["(top level): expected a mapping, got [1]"]


def test_a_fault_named_in_a_patch_is_replaced_whole():
    link = Link(1, "api:1", protocol="http",
                faults={"f": HttpErrorParams("http_error", 0.5, 429), "g": LatencyParams("latency", 0.1)})
    changed = patched_link(link, {"faults": {"f": {"type": "reset", "probability": 1}}, "upstream": "api:2"})
    assert changed.faults == {"f": ResetParams("reset", 1.0), "g": LatencyParams("latency", 0.1)}
    assert changed.upstream == "api:2" and link.faults["f"].status == 429
    assert patched_link(link, {"faults": {"g": None}}).faults == {"f": link.faults["f"]}
    with pytest.raises(ConfigError) as caught:
        patched_link(link, {"protocol": None})
    assert caught.value.problems == [
        "faults.f: a http_error fault acting on requests needs protocol: http on its link, got protocol: tcp"]
