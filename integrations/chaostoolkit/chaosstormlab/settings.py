"""The one place that reads the experiment's ``configuration``: where each component of the
stack answers, and the time scale. Every key has the stack's default (docker-compose.yml
publishes the proxy's admin API on 8474, locust on 8089, Prometheus on 9090, on loopback),
so an experiment against a stack started with ``make up`` needs none of them.

A bad value is refused as Chaos Toolkit refuses bad input: ``ActivityFailed`` naming the key,
what it holds and what is expected.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chaoslib.exceptions import ActivityFailed

DEFAULT_PROXY_URL = "http://127.0.0.1:8474"
DEFAULT_LOADGEN_URL = "http://127.0.0.1:8089"
DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"
DEFAULT_HTTP_TIMEOUT = 10.0
MAX_TIME_SCALE = 10.0  # the runner's bound (python -m experiments run --time-scale)


@dataclass(frozen=True)
class Settings:
    proxy_url: str
    loadgen_url: str
    prometheus_url: str
    dns_admin_url: str | None  # the dns replicas' admin API, where the stack publishes it
    compose_project: str  # for what only the Docker CLI reaches (docker exec) and the runner
    time_scale: float
    http_timeout: float
    repository: str  # a stormlab checkout: where `python -m experiments` runs
    python: str  # the interpreter that has the runner's dependencies


def settings_from(configuration: dict | None) -> Settings:
    """The settings the experiment's configuration gives, the stack's defaults for the rest."""
    config = dict(configuration or {})
    dns_admin = config.get("stormlab_dns_admin_url")
    return Settings(
        proxy_url=_url(config, "stormlab_proxy_url", DEFAULT_PROXY_URL),
        loadgen_url=_url(config, "stormlab_loadgen_url", DEFAULT_LOADGEN_URL),
        prometheus_url=_url(config, "stormlab_prometheus_url", DEFAULT_PROMETHEUS_URL),
        dns_admin_url=_url(config, "stormlab_dns_admin_url", "") if dns_admin not in (None, "") else None,
        compose_project=_text(config, "stormlab_compose_project",
                              os.environ.get("COMPOSE_PROJECT_NAME") or "stormlab"),
        time_scale=time_scale_of(config.get("stormlab_time_scale", 1.0), "configuration stormlab_time_scale"),
        http_timeout=_positive(config, "stormlab_http_timeout", DEFAULT_HTTP_TIMEOUT),
        repository=_text(config, "stormlab_repository", os.getcwd()),
        python=_text(config, "stormlab_python", sys.executable),
    )


def time_scale_of(value: Any, what: str = "time_scale") -> float:
    """A time scale as the runner takes it: a number in (0, 10]; a string of one (an
    environment variable read without ``env_var_type``) is taken too."""
    number = _number(value)
    if number is None or not 0 < number <= MAX_TIME_SCALE:
        raise ActivityFailed(f"{what}: expected a number in (0, {MAX_TIME_SCALE:g}] (0.5 runs the timeline "
                             f"at half length, as the runner's --time-scale), got {value!r}")
    return number


def scaled(seconds: Any, time_scale: Any, settings: Settings, what: str) -> float:
    """``seconds`` of the timeline at the time scale: the activity's own ``time_scale`` if it
    gives one, else the configuration's."""
    number = _number(seconds)
    if number is None or number < 0:
        raise ActivityFailed(f"{what}: expected a number of seconds >= 0, got {seconds!r}")
    scale = settings.time_scale if time_scale is None else time_scale_of(time_scale)
    return number * scale


def _url(config: dict, key: str, default: str) -> str:
    value = config.get(key, default)
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        example = default or "http://127.0.0.1:8080"
        raise ActivityFailed(f"configuration {key}: expected an http(s) URL such as {example}, got {value!r}")
    return value.rstrip("/")


def _text(config: dict, key: str, default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or not value:
        raise ActivityFailed(f"configuration {key}: expected a non-empty string, got {value!r}")
    return value


def _positive(config: dict, key: str, default: float) -> float:
    value = config.get(key, default)
    number = _number(value)
    if number is None or number <= 0:
        raise ActivityFailed(f"configuration {key}: expected a number of seconds > 0, got {value!r}")
    return number


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None
