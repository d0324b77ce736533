"""Where the load generator's settings come from: its YAML file < ``STORMLAB_LOADGEN_*`` <
``--set`` (stormlab_common/config.py). What they are, and what a live change may do to
them, is the contract: stormlab_common/contracts/loadgen.py and loadgen_patch.py.

Beside them, two settings of where this one process stands, read from the environment only:
they are not part of the config the master shares with its workers (a live patch cannot
reach them), since each worker may stand somewhere else (docs/remote-workers.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from loadgen.device_host import host_problem
from loadgen.worker_announce import address_problem
from stormlab_common.config import ConfigError, merged_layers
from stormlab_common.contracts.loadgen import LoadgenConfig, parse_config

ENV_PREFIX = "STORMLAB_LOADGEN_"
DEVICE_HOST = "STORMLAB_DEVICE_HOST"
METRICS_ADVERTISE = "STORMLAB_METRICS_ADVERTISE"


def load_base(file=None, env=None, overrides=None) -> dict:
    """The layers merged, not yet checked nor completed with defaults: the base a live patch
    is merged into (loadgen/live_config.py)."""
    return merged_layers(env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides)


def load_loadgen_config(file=None, env=None, overrides=None) -> LoadgenConfig:
    return parse_config(load_base(file, env, overrides))


@dataclass(frozen=True)
class Placement:
    """``device_host``: the host this process reaches the device's links at, replacing every
    target URL's (loadgen/device_host.py); None: the URLs as configured. ``metrics_advertise``:
    ``host:port`` where Prometheus can scrape this process's client metrics, announced to the
    master (loadgen/worker_announce.py); None: found another way (the stack's DNS)."""

    device_host: str | None = None
    metrics_advertise: str | None = None


def load_placement(env: Mapping[str, str] | None = None) -> Placement:
    """From ``STORMLAB_DEVICE_HOST`` and ``STORMLAB_METRICS_ADVERTISE`` (empty: not set);
    ConfigError naming every problem."""
    env = os.environ if env is None else env
    device_host, advertise = env.get(DEVICE_HOST) or None, env.get(METRICS_ADVERTISE) or None
    problems = []
    if device_host is not None and (problem := host_problem(device_host)):
        problems.append(f"{DEVICE_HOST}: {problem}")
    if advertise is not None and (problem := address_problem(advertise)):
        problems.append(f"{METRICS_ADVERTISE}: {problem}")
    if problems:
        raise ConfigError(problems, "placement settings")
    return Placement(device_host, advertise)
