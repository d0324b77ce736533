"""The PromQL behind the probes: the same metrics and ratios as stormlab's runner and alert
rules (stormlab_common/queries.py, prometheus/rules/stormlab.rules.yml), over a window the
probe names. A ratio is asked as its two sums, so that a missing side (no clients started,
a device without a setup limit) can be told apart from a ratio of 0.

The names are stormlab's (stormlab_common/metric_names.py); the extension keeps its own copy
because it installs without stormlab's code, and a unit test fails if the two drift apart.
"""

from __future__ import annotations

import re

from chaoslib.exceptions import ActivityFailed

CLIENT_REQUESTS_STARTED = "stormlab_client_requests_started_total"
CLIENT_REQUESTS = "stormlab_client_requests_total"
CLIENT_ATTEMPTS = "stormlab_client_attempts_total"
PROXY_CONNECTION_ATTEMPTS = "stormlab_proxy_connection_attempts_total"
PROXY_LIMIT_NEW_CONNECTIONS_PER_SECOND = "stormlab_proxy_limit_new_connections_per_second"
SERVICE_LIMIT_WORKERS = "stormlab_service_limit_workers"  # one series per replica: who is there
PROXY_WAITING_CONNECTIONS = "stormlab_proxy_waiting_connections"
CLIENT_IN_FLIGHT = "stormlab_client_in_flight_requests"

SCRAPE_SECONDS = 2  # prometheus/prometheus.yml's scrape_interval
MIN_WINDOW, MAX_WINDOW = 2 * SCRAPE_SECONDS, 3600  # a rate needs two samples
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def window(seconds, what: str = "window_seconds") -> int:
    """A probe's window as whole seconds, checked: Prometheus needs two scrapes in it."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not (
            MIN_WINDOW <= seconds <= MAX_WINDOW):
        raise ActivityFailed(f"{what}: expected a number of seconds from {MIN_WINDOW} to {MAX_WINDOW} "
                             f"(Prometheus scrapes every {SCRAPE_SECONDS} s and a rate needs two samples), "
                             f"got {seconds!r}")
    return round(seconds)


def matchers(**labels: str | None) -> str:
    """``{a="x",b="y"}`` of the labels given (None: not matched), each value checked."""
    parts = []
    for label, value in labels.items():
        if value is None:
            continue
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            raise ActivityFailed(f"{label}: expected a name such as 'dns' (letters, digits, '-', '_', '.'), "
                                 f"got {value!r}")
        parts.append(f'{label}="{value}"')
    return "{" + ",".join(parts) + "}" if parts else ""


def increase(metric: str, seconds: int, **labels: str | None) -> str:
    return f"sum(increase({metric}{matchers(**labels)}[{seconds}s]))"


def rate(metric: str, seconds: int, **labels: str | None) -> str:
    return f"sum(rate({metric}{matchers(**labels)}[{seconds}s]))"


def setup_limit(device: str) -> str:
    return f"max({PROXY_LIMIT_NEW_CONNECTIONS_PER_SECOND}{matchers(device=device)})"


def replicas(service: str) -> str:
    """One series per replica of ``service`` that Prometheus scrapes (job services), labelled
    with its ``replica`` id and its ``instance`` (address:port on the main network)."""
    return f'{SERVICE_LIMIT_WORKERS}{{job="services",service="{_checked(service, "service")}"}}'


def _checked(value: str, label: str) -> str:
    matchers(**{label: value})
    return value
