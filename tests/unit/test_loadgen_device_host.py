"""The device as a worker on another host reaches it: every target's host replaced, its port
kept, in the base config and in every live patch the master sends, never in the patch itself."""

from pathlib import Path

import pytest

from loadgen.config import load_base
from loadgen.device_host import host_problem, on_device, with_host
from loadgen.live_config import LiveConfig, PatchRefused
from stormlab_common.contracts.loadgen import parse_config

ROOT = Path(__file__).resolve().parents[2]
BASE = {"targets": {"api": {"url": "http://proxy:8081"}, "dns": {"url": "http://proxy:8053"}},
        "workload": {"resolve": {"target": "dns", "path": "/v1/resolve/api.internal"}},
        "clients": {"sdk": {"policy": {"name": "full-jitter"}}}}


def test_the_host_is_replaced_and_the_port_kept():
    assert with_host("http://proxy:8081", "192.168.1.20") == "http://192.168.1.20:8081"
    assert with_host("http://proxy", "stack-host.lan") == "http://stack-host.lan"  # no port: still none
    assert with_host("http://a.b-c_d:1", "x") == "http://x:1"
    with pytest.raises(ValueError, match="not a target URL"):
        with_host("https://proxy:8081", "x")


def test_every_target_of_a_config_is_rewritten_and_nothing_else():
    config = parse_config(BASE)
    moved = on_device(config, "10.79.0.1")
    assert moved.target_urls == {"api": "http://10.79.0.1:8081", "dns": "http://10.79.0.1:8053"}
    assert (moved.workload, moved.clients, moved.seed) == (config.workload, config.clients, config.seed)
    assert on_device(config, None) is config


@pytest.mark.parametrize("host", ["10.0.0.5", "stack-host", "stack.example.lan", "a_b"])
def test_a_host_name_or_ipv4_address_is_a_device_host(host):
    assert host_problem(host) is None
    assert parse_config({**BASE, "targets": {"api": {"url": with_host("http://proxy:8081", host)}},
                         "workload": {"w": {"target": "api", "path": "/"}}})  # still a URL the contract takes


@pytest.mark.parametrize("host", ["", "http://10.0.0.5", "10.0.0.5:8081", "host/path", "a b", "::1"])
def test_anything_else_is_refused_saying_what_is_expected(host):
    assert host_problem(host) == ("expected a host name or IPv4 address (letters, digits, '.', '-', '_'; no "
                                  f"scheme, port or path), got {host!r}")


def test_a_worker_runs_its_base_and_every_patch_from_the_master_at_its_device_host():
    master, worker = LiveConfig(BASE), LiveConfig(BASE, device_host="10.79.0.1")
    assert master.config.target_urls["api"] == "http://proxy:8081"  # the master keeps the stack's view
    assert worker.config.target_urls == {"api": "http://10.79.0.1:8081", "dns": "http://10.79.0.1:8053"}
    patch = {"targets": {"kv": {"url": "http://proxy:8082"}},
             "workload": {"kv-get": {"target": "kv", "path": "/v1/items/a"}}}
    master.replace(patch)
    applied = worker.adopt(*master.message().values())
    assert applied.target_urls["kv"] == "http://10.79.0.1:8082"
    assert worker.config is applied and worker.patch == patch  # the patch itself is the master's
    assert worker.message() == master.message()
    assert worker.adopt(2, {}).target_urls["api"] == "http://10.79.0.1:8081"  # back to the base, still moved


def test_a_patch_the_base_cannot_take_is_refused_as_without_a_device_host():
    worker = LiveConfig(BASE, device_host="10.79.0.1")
    with pytest.raises(PatchRefused) as refused:
        worker.adopt(1, {"targets": {"api": {"url": "ftp://x"}}})
    assert refused.value.malformed
    assert worker.generation == 0 and worker.config.target_urls["api"] == "http://10.79.0.1:8081"


def test_the_stacks_own_config_file_is_rewritten_whole():
    worker = LiveConfig(load_base(file=ROOT / "loadgen/config.yml", env={}), device_host="192.168.1.20")
    assert sorted(worker.config.target_urls.values()) == [
        "http://192.168.1.20:8053", "http://192.168.1.20:8081", "http://192.168.1.20:8082",
        "http://192.168.1.20:8083"]
