"""The stack as docker-compose.yml defines it, read as data: the settings each component
starts with, so a scenario can be checked against them before anything runs.

Each component's container is told apart by the Dockerfile it is built from (proxy/,
services/, loadgen/); its settings are the layers it merges at start (stormlab_common/config.py),
read from the repository: its ``--config`` file (or ``STORMLAB_<COMPONENT>_CONFIG``), the
``STORMLAB_<COMPONENT>_*`` variables of its ``environment:``, then its ``--set`` flags (the
load generator's command line is locust's: it reads its settings from the environment). A path
in a container is one in the repository, as every image copies its folder under /app, its
working directory. The load generator is the locust master, which serves ``/stormlab/config``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from stormlab_common.config import CONFIG_FILE_KEY, ConfigError, merged_layers, read_yaml_file
from stormlab_common.contracts.loadgen import config_problems
from stormlab_common.contracts.loadgen_patch import patched_config
from stormlab_common.contracts.proxy import ProxyConfig
from stormlab_common.contracts.proxy_numbers import whole_numbers
from stormlab_common.contracts.service import ServiceConfig
from stormlab_common.model import dump, parse

ROOT = Path(__file__).resolve().parents[2]  # the repository
COMPOSE_FILE = "docker-compose.yml"
APP = PurePosixPath("/app")  # every component image's working directory, its folder copied under it
_FLAGS = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
_FLAGS.add_argument("--config")
_FLAGS.add_argument("--set", action="append", default=[])
PREFIXES = {"proxy": "STORMLAB_PROXY_", "services": "STORMLAB_SERVICE_", "loadgen": "STORMLAB_LOADGEN_"}


@dataclass(frozen=True)
class StackDefinition:
    proxy: ProxyConfig
    services: dict[str, ServiceConfig]  # by compose service name, as the runner reaches them
    loadgen_base: dict  # the locust master's config data as loaded, before defaults

    @cached_property
    def base_profiles(self) -> dict:
        """The client profiles the loadgen has with no patch, defaults filled in: what it answers
        to ``PUT /stormlab/config {}``, and what a scenario naming its own profiles replaces."""
        return dump(patched_config(self.loadgen_base, {}))["clients"]

    @cached_property
    def base_workload(self) -> dict:
        """The calls the loadgen makes with no patch: what a scenario naming its own workload replaces."""
        return dump(patched_config(self.loadgen_base, {}))["workload"]


@cache
def read_stack_definition(root: Path = ROOT) -> StackDefinition:
    """The stack ``root/docker-compose.yml`` defines; ConfigError naming every problem."""
    source = f"stack definition {root / COMPOSE_FILE}"
    compose = read_yaml_file(root / COMPOSE_FILE)
    containers = compose.get("services")
    if not isinstance(containers, Mapping):
        raise ConfigError([f"services: expected the stack's containers, got {containers!r}"], source)
    found: dict[str, dict[str, Any]] = {kind: {} for kind in PREFIXES}
    problems: list[str] = []
    for name, container in containers.items():
        kind = _component(container)
        if kind is None or (kind == "loadgen" and "--master" not in _command(container)):
            continue
        try:
            found[kind][name] = _layers(root, container, PREFIXES[kind])
        except ConfigError as exc:
            problems += [f"services.{name}: {problem}" for problem in exc.problems]
    for kind in ("proxy", "loadgen"):
        if len(found[kind]) != 1 and not problems:
            problems.append(f"services: expected one {kind} container, found {len(found[kind])}")
    if problems:
        raise ConfigError(problems, source)
    (proxy_name, proxy), = found["proxy"].items()
    (loadgen_name, loadgen), = found["loadgen"].items()
    config = _parsed(proxy_name, ProxyConfig, whole_numbers(proxy), problems)
    services = {name: _parsed(name, ServiceConfig, data, problems)
                for name, data in found["services"].items()}
    problems += [f"services.{loadgen_name}: {problem}" for problem in config_problems(loadgen)]
    if problems:
        raise ConfigError(problems, source)
    return StackDefinition(config, services, loadgen)


def _component(container: Any) -> str | None:
    build = container.get("build") if isinstance(container, Mapping) else None
    dockerfile = build.get("dockerfile") if isinstance(build, Mapping) else None
    kind = PurePosixPath(dockerfile).parent.name if isinstance(dockerfile, str) else None
    return kind if kind in PREFIXES else None


def _command(container: Mapping) -> list[str]:
    command = container.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _layers(root: Path, container: Mapping, prefix: str) -> dict:
    """The config data the component merges at start, read from the repository."""
    env = _environment(container.get("environment"))
    unread = [key for key, value in env.items() if key.startswith(prefix) and "${" in value]
    if unread:
        raise ConfigError([f"environment.{key}: cannot be read offline (it is substituted by Compose)"
                           for key in unread])
    # as stormlab_common/cli.py reads them; locust's command line is locust's own
    command = [] if prefix == PREFIXES["loadgen"] else _command(container)
    flags, _ = _FLAGS.parse_known_args(command)
    file = flags.config or env.get(prefix + CONFIG_FILE_KEY)
    return merged_layers(env_prefix=prefix, file=_in_repository(root, file) if file else None, env=env,
                         overrides=flags.set)


def _environment(environment: Any) -> dict[str, str]:
    if isinstance(environment, Mapping):
        return {str(key): "" if value is None else str(value) for key, value in environment.items()}
    return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment or ())


def _in_repository(root: Path, path: str) -> Path:
    inside = APP / path  # a relative path is relative to the working directory
    if APP not in inside.parents:
        raise ConfigError([f"{path}: not under {APP}, where the images copy the repository's folders"])
    return root / inside.relative_to(APP)


def _parsed(name: str, cls: type, data: dict, problems: list[str]) -> Any:
    try:
        return parse(cls, data)
    except ConfigError as exc:
        problems += [f"services.{name}: {problem}" for problem in exc.problems]
        return None
