"""Chaos Toolkit probes of a stormlab stack: what the clients got and what the device bore,
from Prometheus (``/api/v1/query``) over a trailing window, and the verdict of a stormlab run.

The windows are not scaled with the time scale: how long a rate needs to be measured is
physics, like the clients' timeouts. Prometheus scrapes every 2 s, so a window is 4 s at
least; the figures lag what happens by about a scrape.
"""

from typing import Any

from chaoslib.types import Configuration

from chaosstormlab import measures, runs
from chaosstormlab import settings as lab_settings

__all__ = ["device_saturation", "goodput", "goodput_ratio", "retry_amplification", "run_verdict"]


def goodput(window_seconds: float = 10, target: str = None, configuration: Configuration = None) -> float:
    """Goodput, req/s: the clients' logical requests that succeeded within their deadline, per
    second over the last ``window_seconds`` (to one ``target``, e.g. dns, if given)."""
    return measures.goodput(lab_settings.settings_from(configuration), window_seconds, target)


def goodput_ratio(window_seconds: float = 10, target: str = None,
                  configuration: Configuration = None) -> float:
    """The share of the requests started over the last ``window_seconds`` that succeeded
    (successful / started, at most 1). The clients are an open loop, so the requests started
    stay the baseline's: this ratio is goodput over its baseline, ~1 when all is well and ~0
    in a retry storm. Fails when no request started in the window (the clients are not running)."""
    return measures.goodput_ratio(lab_settings.settings_from(configuration), window_seconds, target)


def retry_amplification(window_seconds: float = 10, configuration: Configuration = None) -> float:
    """Attempts per logical request over the last ``window_seconds`` (1: no retries; a naive
    storm ~5). Fails when no request started in the window."""
    return measures.retry_amplification(lab_settings.settings_from(configuration), window_seconds)


def device_saturation(device: str = "border", window_seconds: float = 10, offered: bool = False,
                      configuration: Configuration = None) -> float:
    """The device's connection setups per second over its setup limit
    (``connections.new_per_second``), over the last ``window_seconds``: about 1 when it is at
    its limit, as the alert DeviceConnectionSetupsAtLimit reads it. ``offered``: count every
    connection attempt that reached it, set up or turned away (above 1: more is asked than it
    can ever set up, the retry storm's load x (1 + r) > capacity)."""
    settings = lab_settings.settings_from(configuration)
    return measures.device_saturation(settings, device, window_seconds, offered)


def run_verdict(run: str = "results", scenario: str = None, configuration: Configuration = None) -> dict:
    """The verdict of a stormlab run and its figures: ``run`` is its run.json, its folder, or a
    results folder (then its latest run, of ``scenario`` if given), relative to
    ``stormlab_repository``. Returns ``{"scenario", "status", "verdict", "expected", "matches",
    "reason", "figures": {name: value}, "checks", "run_dir", ...}``: a tolerance of type
    jsonpath checks one, e.g. ``{"type": "jsonpath", "path": "$.verdict", "expect": "recovered"}``."""
    from pathlib import Path

    base: Any = Path(lab_settings.settings_from(configuration).repository)
    return runs.read_run(base / run, scenario)
