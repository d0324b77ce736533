"""The figures the probes return, from Prometheus, each over a trailing window: a ratio is
asked as its two sums and refused when its denominator is missing, with what that means."""

from __future__ import annotations

from chaoslib.exceptions import ActivityFailed

from chaosstormlab import promql
from chaosstormlab.prometheus import PrometheusApi
from chaosstormlab.settings import Settings


def goodput(settings: Settings, window_seconds, target: str | None) -> float:
    seconds = promql.window(window_seconds)
    value = PrometheusApi(settings).value(promql.rate(promql.CLIENT_REQUESTS, seconds, outcome="success",
                                                      target=target))
    return round(value or 0.0, 3)


def goodput_ratio(settings: Settings, window_seconds, target: str | None) -> float:
    """Successful requests over requests started in the window, at most 1: successes of
    requests started just before it would otherwise push it above."""
    seconds = promql.window(window_seconds)
    prometheus = PrometheusApi(settings)
    started = prometheus.value(promql.increase(promql.CLIENT_REQUESTS_STARTED, seconds, target=target))
    _some_started(started, seconds, target)
    succeeded = prometheus.value(promql.increase(promql.CLIENT_REQUESTS, seconds, outcome="success",
                                                 target=target)) or 0.0
    return round(min(1.0, succeeded / started), 4)


def retry_amplification(settings: Settings, window_seconds) -> float:
    """Attempts sent over requests started in the window (1: no retries)."""
    seconds = promql.window(window_seconds)
    prometheus = PrometheusApi(settings)
    started = prometheus.value(promql.increase(promql.CLIENT_REQUESTS_STARTED, seconds))
    _some_started(started, seconds, None)
    attempts = prometheus.value(promql.increase(promql.CLIENT_ATTEMPTS, seconds)) or 0.0
    return round(attempts / started, 3)


def device_saturation(settings: Settings, device: str, window_seconds, offered: bool) -> float:
    """Connections the device set up per second over its setup limit (at most ~1: it paces
    them), as the alert DeviceConnectionSetupsAtLimit reads it; ``offered``: every connection
    attempt that reached it, set up or turned away (above 1: more is asked than it can set up)."""
    seconds = promql.window(window_seconds)
    prometheus = PrometheusApi(settings)
    limit = prometheus.value(promql.setup_limit(device))
    if not limit:
        raise ActivityFailed(f"device {device!r} has no connection setup limit in Prometheus (no series "
                             f"{promql.setup_limit(device)}): expected a device of the proxy with "
                             "connections.new_per_second set (an unlimited device cannot saturate)")
    outcome = None if offered else "accepted"
    setups = prometheus.value(promql.rate(promql.PROXY_CONNECTION_ATTEMPTS, seconds, device=device,
                                          outcome=outcome)) or 0.0
    return round(setups / limit, 3)


def _some_started(started: float | None, seconds: int, target: str | None) -> None:
    if not started or started < 1:
        what = f" to target {target!r}" if target else ""
        raise ActivityFailed(f"no client request{what} started in the last {seconds} s, so the ratio is not "
                             "defined; expected the clients to be running (start_clients, or the control's "
                             "clients) for the whole window")
