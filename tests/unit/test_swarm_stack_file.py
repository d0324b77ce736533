"""The Swarm stack file made from the Compose definitions (swarm/stack_file.py): each rule for
what Swarm ignores or refuses, and the whole of the stack's own definitions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from swarm.stack_file import EDGE_NETWORK, StackFileError, main, stack_file

ROOT = Path(__file__).resolve().parents[2]
PYTHON = {"stormlab-proxy:local": ["python3", "-m", "proxy"], "stormlab-services:local": ["python3", "-m", "services"],
          "stormlab-loadgen:local": ["locust"], "stormlab-grafana:local": ["/bin/sh", "/stormlab/entrypoint.sh"]}


def health(url: str) -> dict:
    return {"test": ["CMD", "python3", "-m", "stormlab_common.healthcheck", url], "interval": "3s"}


def compose(**services) -> dict:
    return {"services": services, "networks": {"main": {}, "internal": {}}}


API = {"image": "stormlab-services:local", "build": {"context": "."}, "networks": {"main": None},
       "healthcheck": health("http://127.0.0.1:8080/health"), "restart": "always", "container_name": "api"}
PROXY = {"image": "stormlab-proxy:local", "networks": {"internal": None, "main": None},
         "depends_on": {"api": {"condition": "service_healthy"}}, "ports": ["127.0.0.1:8474:8474/tcp"],
         "ulimits": {"nofile": {"soft": 20000, "hard": 20000}}, "command": ["--config", "/app/proxy/config.yml"],
         "healthcheck": health("http://127.0.0.1:8474/health")}


def test_what_swarm_ignores_is_dropped_and_the_wait_goes_before_the_entrypoint():
    stack = stack_file(compose(api=API, proxy=PROXY), PYTHON)
    api, proxy = stack["services"]["api"], stack["services"]["proxy"]
    for key in ("build", "restart", "container_name"):
        assert key not in api
    assert "depends_on" not in proxy and "ulimits" not in proxy
    assert proxy["entrypoint"] == ["python3", "-m", "stormlab_common.wait_for", "--timeout", "300",
                                   "--url", "http://api:8080/health", "--", "python3", "-m", "proxy"]
    assert proxy["command"] == ["--config", "/app/proxy/config.yml"]  # the image's command is kept
    assert "entrypoint" not in api  # nothing to wait for


def test_ulimits_are_kept_where_the_engine_takes_them():
    assert stack_file(compose(api=API, proxy=PROXY), PYTHON, supports_ulimits=True)["services"]["proxy"]["ulimits"]


def test_ports_are_published_in_host_mode_and_only_publishing_tasks_get_the_edge_network():
    stack = stack_file(compose(api=API, proxy=PROXY), PYTHON)
    assert stack["services"]["proxy"]["ports"] == [{"target": 8474, "protocol": "tcp", "mode": "host",
                                                    "published": 8474}]
    assert set(stack["services"]["proxy"]["networks"]) == {"internal", "main", EDGE_NETWORK}
    assert set(stack["services"]["api"]["networks"]) == {"main"}
    assert stack["networks"][EDGE_NETWORK] == {"driver": "overlay", "attachable": True}


@pytest.mark.parametrize(("port", "expected"), [
    ("127.0.0.1::8089/tcp", {"target": 8089, "protocol": "tcp", "mode": "host"}),  # Docker picks the port
    ("9090", {"target": 9090, "protocol": "tcp", "mode": "host"}),
    ("9091:9091", {"target": 9091, "protocol": "tcp", "mode": "host", "published": 9091}),
    ({"target": 3000, "published": "3001", "host_ip": "127.0.0.1", "protocol": "tcp", "mode": "ingress"},
     {"target": 3000, "protocol": "tcp", "mode": "host", "published": 3001}),
])
def test_every_port_form_compose_writes(port, expected):
    service = {**API, "ports": [port]}
    assert stack_file(compose(api=service), PYTHON)["services"]["api"]["ports"] == [expected]


def test_a_port_range_is_refused_by_name():
    with pytest.raises(StackFileError, match="service 'api': port '8000-8010:8000-8010'"):
        stack_file(compose(api={**API, "ports": ["8000-8010:8000-8010"]}), PYTHON)


def test_networks_become_internal_attachable_overlays():
    networks = stack_file(compose(api=API), PYTHON)["networks"]
    assert networks["main"] == {"driver": "overlay", "attachable": True, "internal": True}


def test_services_answer_dns_with_every_task_and_all_but_the_workers_stay_on_a_manager():
    worker = {"image": "stormlab-loadgen:local", "networks": {"internal": None}, "scale": 3}
    stack = stack_file(compose(api=API, **{"loadgen-worker": worker}), PYTHON)
    assert stack["services"]["api"]["deploy"] == {"endpoint_mode": "dnsrr",
                                                  "placement": {"constraints": ["node.role == manager"]}}
    assert stack["services"]["loadgen-worker"]["deploy"] == {"endpoint_mode": "dnsrr", "replicas": 3}


def test_an_image_without_python_starts_at_once():
    grafana = {"image": "stormlab-grafana:local", "networks": {"internal": None},
               "depends_on": {"api": {"condition": "service_healthy"}}}
    assert "entrypoint" not in stack_file(compose(api=API, grafana=grafana), PYTHON)["services"]["grafana"]


def test_a_dependency_left_out_is_not_waited_for():
    stack = stack_file(compose(proxy=PROXY), PYTHON)  # api not deployed (e.g. --only)
    assert "entrypoint" not in stack["services"]["proxy"]


@pytest.mark.parametrize(("service", "message"), [
    ({"networks": {"main": None}}, "has no image"),
    ({"image": "x:1", "network_mode": "host"}, "network_mode 'host'"),
])
def test_what_a_stack_cannot_say_is_refused(service, message):
    with pytest.raises(StackFileError, match=message):
        stack_file(compose(odd=service), PYTHON)


def test_a_network_named_like_the_edge_network_is_refused():
    definitions = compose(api=API)
    definitions["networks"][EDGE_NETWORK] = {}
    with pytest.raises(StackFileError, match="rename it"):
        stack_file(definitions, PYTHON)


def test_bad_stdin_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("just: words\n"))
    assert main([]) == 2
    assert "not a Compose file's config" in capsys.readouterr().err


@pytest.mark.skipif(not (shutil.which("docker-compose") or shutil.which("docker")), reason="needs Compose")
def test_the_stacks_own_definitions_convert(tmp_path):
    from stormlab_common.compose import ComposeMissing, compose_command

    try:
        command = compose_command()
    except ComposeMissing:
        pytest.skip("needs Compose")
    done = subprocess.run([*command, "config"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"compose config failed here: {done.stderr[-300:]}")
    definitions = yaml.safe_load(done.stdout)
    images = {service["image"]: ["python3"] for service in definitions["services"].values()}
    stack = stack_file(definitions, images)
    assert set(stack["services"]) == set(definitions["services"])
    assert stack["services"]["loadgen-worker"]["networks"] == {"internal": None}  # a client: no way out
    assert set(stack["services"]["loadgen"]["networks"]) == {"internal", EDGE_NETWORK}  # publishes 8089
    assert all(stack["networks"][name]["internal"] for name in ("main", "internal"))
