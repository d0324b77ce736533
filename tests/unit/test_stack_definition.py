"""Invariants of docker-compose.yml, the Dockerfiles and the offline image lists."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PYTHON_COMPONENTS = ["services", "proxy", "loadgen"]
# PyPI name -> the Debian package that provides it offline
DEBIAN = {"aiohttp": "python3-aiohttp", "prometheus-client": "python3-prometheus-client",
          "pyyaml": "python3-yaml", "jsonschema": "python3-jsonschema", "locust": "python3-locust",
          "tenacity": "python3-tenacity", "httptools": "python3-httptools", "uvloop": "python3-uvloop"}


def requirement_names(lines):
    return {re.split(r"[<>=!~ ;\[]", line.strip())[0].lower() for line in lines
            if line.strip() and not line.strip().startswith("#")}


def test_only_the_proxy_joins_both_networks_among_the_components():
    assert set(SERVICES["loadgen"]["networks"]) == set(SERVICES["loadgen-worker"]["networks"]) == {"internal"}
    assert set(SERVICES["api"]["networks"]) == set(SERVICES["dns"]["networks"]) == {"main"}
    assert set(SERVICES["proxy"]["networks"]) == {"internal", "main"}


def test_every_container_has_a_healthcheck_and_no_docker_socket():
    for name, service in SERVICES.items():
        assert "healthcheck" in service, name
        for volume in service.get("volumes", []):
            assert "docker.sock" not in volume, name


def test_ports_are_published_on_loopback_only():
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"


def test_images_follow_the_naming_the_tools_rely_on():
    # tools/lib.sh's image_name: stormlab-<component>:${STORMLAB_IMAGE_TAG:-local}
    for name, service in SERVICES.items():
        component = Path(service["build"]["dockerfile"]).parent.name
        assert service["image"] == f"stormlab-{component}:${{STORMLAB_IMAGE_TAG:-local}}", name


def test_dockerfiles_default_to_official_images_and_run_unprivileged():
    for dockerfile in ROOT.glob("*/Dockerfile"):
        text = dockerfile.read_text()
        assert re.search(r"^FROM \$\{STORMLAB_[A-Z_]+_BASE_IMAGE:-[a-z/]+:[\w.-]+\}$", text, re.M), dockerfile
        # the official Grafana image already runs as uid 472; the kernel device runs as root, as
        # changing its own namespace's rules with NET_ADMIN needs (router/Dockerfile)
        if dockerfile.parent.name not in ("grafana", "router"):
            users = re.findall(r"^USER (\S+)", text, re.M)
            assert users and not users[-1].startswith(("root", "0")), dockerfile


def test_component_requirements_are_declared_and_available_offline():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = requirement_names(project["dependencies"])
    offline = set((ROOT / "tools/offline/python-base.packages").read_text().split())
    for component in PYTHON_COMPONENTS:
        needed = requirement_names((ROOT / component / "requirements.txt").read_text().splitlines())
        assert needed <= declared, f"{component}: {needed - declared} missing from pyproject.toml"
        assert {DEBIAN[name] for name in needed} <= offline, component


def test_the_pushgateway_is_scraped_with_the_pushed_labels_kept():
    prometheus = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    (job,) = [j for j in prometheus["scrape_configs"] if j["job_name"] == "experiment"]
    assert job["honor_labels"] is True
    assert job["static_configs"] == [{"targets": ["pushgateway:9091"]}]
    assert set(SERVICES["pushgateway"]["networks"]) & set(SERVICES["prometheus"]["networks"])
    assert SERVICES["pushgateway"]["ports"] == ["127.0.0.1:${STORMLAB_PUSHGATEWAY_PORT-9091}:9091"]
    # offline, the Pushgateway image builds on the Prometheus base (tools/build-images.sh)
    assert "prometheus-pushgateway" in (ROOT / "tools/offline/prometheus-base.packages").read_text().split()


def test_every_published_port_variable_is_blanked_where_stacks_must_not_collide():
    variables = set(re.findall(r"\$\{(STORMLAB_\w+_PORT)-", (ROOT / "docker-compose.yml").read_text()))
    assert len(variables) == 5
    for path in ["tools/test-experiments.sh", "benchmarks/startup.sh", "tests/integration/conftest.py"]:
        text = (ROOT / path).read_text()
        assert all(variable in text for variable in variables), f"{path}: {variables}"
