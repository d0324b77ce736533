"""Which Compose to run: ``$COMPOSE`` if set (the Makefile exports it), else v2
(``docker compose``) where it is installed, else v1 (``docker-compose``); and over which files
(``compose_environment``: the base, the kernel device's, your own services'). The host-side
tools (the runner, ``make trigger``, ``make traffic``, the integration tests) all ask here,
as the shell tools ask tools/lib.sh. Standard library only: ``make traffic`` imports it
before any virtualenv exists.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from functools import cache


class ComposeMissing(RuntimeError):
    """Neither Compose v2 nor v1 is installed."""


@cache
def compose_command() -> list[str]:
    """The command that runs Compose, as a list for subprocess. Raises ComposeMissing."""
    if os.environ.get("COMPOSE"):
        return shlex.split(os.environ["COMPOSE"])
    try:
        if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0:
            return ["docker", "compose"]
    except (OSError, subprocess.TimeoutExpired):
        pass  # no docker binary, or a hung daemon: try v1
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise ComposeMissing("neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed; "
                         "install one (https://docs.docker.com/compose/install/)")


BASE_FILE = "docker-compose.yml"
KERNEL_FILES = "docker-compose.yml:docker-compose.kernel.yml"  # STORMLAB_DEVICE=kernel (tools/lib.sh)


def compose_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with COMPOSE_FILE naming what tools/lib.sh names: the base file (and the kernel
    device's), then each file of STORMLAB_COMPOSE_FILES (``:``-separated, docs/own-service.md)
    not already there. Compose v1 and v2 both read COMPOSE_FILE."""
    env = dict(env)
    extra = [file for file in env.get("STORMLAB_COMPOSE_FILES", "").split(":") if file]
    if not extra:
        return env
    default = KERNEL_FILES if env.get("STORMLAB_DEVICE") == "kernel" else BASE_FILE
    files = (env.get("COMPOSE_FILE") or default).split(":")
    env["COMPOSE_FILE"] = ":".join(files + [file for file in dict.fromkeys(extra) if file not in files])
    return env
