"""Which Compose to run: ``$COMPOSE`` if set (the Makefile exports it), else v2
(``docker compose``) where it is installed, else v1 (``docker-compose``). The host-side
tools (the runner, ``make trigger``, ``make traffic``, the integration tests) all ask here,
as the shell tools ask tools/lib.sh. Standard library only: ``make traffic`` imports it
before any virtualenv exists.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
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
