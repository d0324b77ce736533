"""The stack's definition as the offline check reads it (stormlab_common/scenario/stack_definition.py):
each component's settings from docker-compose.yml's command and environment, and the files
they name, layered as the component layers them at start."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from experiments.validation import scenario_problems
from stormlab_common.config import ConfigError, read_yaml_file
from stormlab_common.scenario.stack_definition import read_stack_definition

ROOT = Path(__file__).resolve().parents[2]


def stack_at(tmp_path: Path, containers: dict) -> Path:
    """A repository with the stack's component files and ``containers`` as its compose file."""
    for folder in ("proxy", "services", "loadgen"):
        (tmp_path / folder).mkdir()
        for file in (ROOT / folder).glob("*.yml"):
            shutil.copy(file, tmp_path / folder / file.name)
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump({"services": containers}))
    return tmp_path


def container(component: str, command: list[str], environment: dict | None = None) -> dict:
    return {"build": {"context": ".", "dockerfile": f"{component}/Dockerfile"}, "command": command,
            "environment": environment or {}}


PROXY = container("proxy", ["--config", "/app/proxy/config.yml"])
KV = container("services", ["--config", "/app/services/kv.yml"])
LOADGEN = container("loadgen", ["-f", "/app/loadgen/locustfile.py", "--master"],
                    {"STORMLAB_LOADGEN_CONFIG": "/app/loadgen/config.yml"})


def test_the_repositorys_stack_is_read_from_its_files():
    stack = read_stack_definition(ROOT)
    assert sorted(stack.services) == ["api", "dns", "kv", "monitoring"]
    kv = read_yaml_file(ROOT / "services/kv.yml")
    assert stack.services["kv"].capacity.workers == kv["capacity"]["workers"]
    assert sorted(stack.proxy.links) == sorted(read_yaml_file(ROOT / "proxy/config.yml")["links"])
    assert stack.loadgen_base == read_yaml_file(ROOT / "loadgen/config.yml")
    assert list(stack.base_profiles) == ["sdk"] and stack.base_profiles["sdk"]["deadline_seconds"] == 5.0


def test_each_component_layers_its_file_its_environment_and_its_set_flags(tmp_path):
    root = stack_at(tmp_path, {
        "proxy": container("proxy", ["--config", "/app/proxy/config.yml", "--set", "chunk_bytes=1024"],
                           {"STORMLAB_PROXY_RESOLVE_TTL_SECONDS": "5"}),
        "kv": container("services", ["--config=services/kv.yml"], {"STORMLAB_SERVICE_CAPACITY__WORKERS": "3"}),
        "loadgen": container("loadgen", ["-f", "/app/loadgen/locustfile.py", "--master"],
                             ["STORMLAB_LOADGEN_CONFIG=/app/loadgen/config.yml",
                              "STORMLAB_LOADGEN_ARRIVALS__PROCESS=periodic"]),
        "loadgen-worker": container("loadgen", ["--worker"], {"STORMLAB_LOADGEN_SEED": "not read: a worker"}),
        "prometheus": {"image": "prom/prometheus"},
    })
    stack = read_stack_definition(root)
    assert (stack.proxy.chunk_bytes, stack.proxy.resolve_ttl_seconds) == (1024, 5.0)
    assert list(stack.services) == ["kv"] and stack.services["kv"].capacity.workers == 3
    assert stack.loadgen_base["arrivals"]["process"] == "periodic"


def test_a_scenario_is_checked_against_the_stacks_own_settings(tmp_path):
    root = stack_at(tmp_path, {"proxy": container("proxy", ["--config", "/app/proxy/config.yml", "--set",
                                                            "chunk_bytes=1024"]), "kv": KV, "loadgen": LOADGEN})
    raw = {"name": "s", "description": "d", "expect": {"verdict": "stable", "reasoning": "r"},
           "clients": {"count": 1}, "timeline": {"warmup": 10, "end": 60},
           "topology": {"devices": {"border": {"downstream": {"buffer_bytes": 2048}}}},
           "services": {"api": {"capacity": {"workers": 2}}}}
    assert scenario_problems(raw, read_stack_definition(root)) == [  # chunks of 1024 bytes fit; no api
        "services.api: unknown service 'api'; the stack's services: kv"]
    assert scenario_problems(raw, read_stack_definition(ROOT)) == [
        "topology.devices.border.downstream.buffer_bytes: expected at least one chunk (65536 bytes), got 2048"]


@pytest.mark.parametrize("containers, problem", [
    ({"proxy": PROXY, "kv": container("services", ["--config", "/app/services/cache.yml"]), "loadgen": LOADGEN},
     "services.kv: "),
    ({"proxy": PROXY, "kv": container("services", ["--config", "/app/services/kv.yml", "--set",
                                                   "capacity.workers=0"]), "loadgen": LOADGEN},
     "services.kv: capacity.workers: expected a number >= 1, got 0"),
    ({"proxy": PROXY, "kv": container("services", ["--config", "/elsewhere/kv.yml"]), "loadgen": LOADGEN},
     "services.kv: /elsewhere/kv.yml: not under /app"),
    ({"proxy": PROXY, "kv": container("services", ["--config", "/app/services/kv.yml"],
                                      {"STORMLAB_SERVICE_PORT": "${PORT:-8080}"}), "loadgen": LOADGEN},
     "services.kv: environment.STORMLAB_SERVICE_PORT: cannot be read offline"),
    ({"kv": KV, "loadgen": LOADGEN}, "services: expected one proxy container, found 0"),
    ({"proxy": PROXY, "kv": KV, "loadgen": container("loadgen", ["--master"], {"STORMLAB_LOADGEN_CLIENTS": "x"})},
     "services.loadgen: clients: expected a mapping, got 'x'"),
], ids=["missing-file", "bad-setting", "outside-the-image", "substituted", "no-proxy", "bad-loadgen"])
def test_a_stack_definition_that_cannot_be_read_says_where(tmp_path, containers, problem):
    with pytest.raises(ConfigError) as refused:
        read_stack_definition(stack_at(tmp_path, containers))
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert str(refused.value).startswith(f"invalid stack definition {tmp_path / 'docker-compose.yml'}")
