"""The proxy's config file: typed result, defaults, and every bad key reported with its path."""

from pathlib import Path

import pytest
import yaml

from proxy.config import config_from_dict, load_proxy_config
from stormlab_common.config import ConfigError
from stormlab_common.contracts.proxy import effective_burst_bytes, effective_new_burst


def write(tmp_path, text):
    path = tmp_path / "proxy.yml"
    path.write_text(text)
    return path


def test_the_stack_config_loads_and_matches_the_compose_file():
    config = load_proxy_config(file="proxy/config.yml", env={})
    compose = yaml.safe_load(Path("docker-compose.yml").read_text())["services"]
    for name, link in config.links.items():
        host = link.upstream_host
        assert compose[host]["networks"] == ["main"], f"link {name} must forward to a main-network service"
    exposed = {int(port) for port in compose["proxy"]["expose"]}
    assert exposed == {link.listen_port for link in config.links.values()}


def test_defaults_and_computed_bursts(tmp_path):
    config = load_proxy_config(file=write(tmp_path, """
devices:
  border: {downstream: {bytes_per_second: 50e6}}
links:
  api: {listen_port: 8081, upstream: "api:8080"}
"""), env={})
    assert config.links["api"].device == "border" and config.links["api"].protocol == "tcp"
    device = config.devices["border"]
    assert effective_burst_bytes(device.downstream, config.chunk_bytes) == 1_000_000  # 20 ms at 50 MB/s
    assert effective_burst_bytes(device.upstream, config.chunk_bytes) == 4 * 65536  # unlimited: 4 chunks
    assert effective_new_burst(device.connections) == 1
    assert device.upstream.bytes_per_second is None
    assert device.connections.backlog == 1024


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_proxy_config(file=write(tmp_path, """
devices:
  border: {downstream: {bytes_per_second: -1, burst_bytes: 10}}
links:
  a: {listen_port: 9000, upstream: "svc:8080", device: nowhere}
  b: {listen_port: 9000, upstream: "svc:0", faults: {slow: {type: latency}}}
"""), env={})
    # the rules that weigh one part against another wait until the whole is well formed
    assert caught.value.problems == [
        "devices.border.downstream.bytes_per_second: expected a positive number, got -1",
        "links.b.faults.slow.latency_seconds: required key is missing",
    ]
    with pytest.raises(ConfigError) as caught:
        load_proxy_config(file=write(tmp_path, """
devices:
  border: {downstream: {burst_bytes: 10}}
links:
  a: {listen_port: 9000, upstream: "svc:8080", device: nowhere}
  b: {listen_port: 9000, upstream: "svc:0", faults: {shed: {type: http_error, probability: 0.1}}}
"""), env={})
    assert caught.value.problems == [
        "links.b.upstream: expected a port in 1..65535, got 0",
        "links.b.faults.shed: a http_error fault acting on requests needs protocol: http on its link, "
        "got protocol: tcp",
        "devices.border.downstream.burst_bytes: expected at least one chunk (65536 bytes), got 10",
        "links.a.device: unknown device 'nowhere'; defined devices: border",
        "links: listen_port 9000 is used by more than one link (a, b)",
    ]


def test_names_and_addresses_are_explained_when_wrong():
    with pytest.raises(ConfigError) as caught:
        load_proxy_config(env={}, overrides=["links.Bad Name.listen_port=1", "links.ok.listen_port=2",
                                             "links.ok.upstream=nowhere"])
    assert caught.value.problems == [
        "links: expected a name of lowercase letters, digits, '-' or '_', starting with a letter, "
        "got 'Bad Name'",
        "links.Bad Name.upstream: required key is missing",
        "links.ok.upstream: expected host:port of the service the link forwards to, got 'nowhere'",
    ]


def test_environment_overrides_the_admin_port():
    assert load_proxy_config(env={"STORMLAB_PROXY_ADMIN__PORT": "9999"}).admin.port == 9999


def test_a_dict_config_is_checked_like_a_file():
    with pytest.raises(ConfigError, match="chunk_bytes: expected a number >= 512"):
        config_from_dict({"chunk_bytes": 1})


@pytest.mark.parametrize(("text", "problem"), [
    ("chunk_bytes: .nan", "chunk_bytes: expected a finite number, got nan"),
    ("devices: {border: {downstream: {bytes_per_second: .inf}}}",
     "devices.border.downstream.bytes_per_second: expected a finite number, got inf"),
])
def test_numbers_that_are_none_are_refused(tmp_path, text, problem):
    with pytest.raises(ConfigError) as caught:
        load_proxy_config(file=write(tmp_path, text), env={})
    assert caught.value.problems == [problem]


def test_a_whole_number_written_as_a_float_is_an_int():
    config = config_from_dict({"chunk_bytes": 65536.0, "links": {"api": {
        "listen_port": 8081.0, "upstream": "api:8080", "protocol": "http",
        "faults": {"shed": {"type": "http_error", "probability": 1, "status": 503.0}}}}})
    assert type(config.chunk_bytes) is int and type(config.links["api"].listen_port) is int
    assert type(config.links["api"].faults["shed"].status) is int
