"""What the kernel device (router/) lacks of the proxy's contract, shared by the router, which
refuses those knobs (router/kernel_limits.py), and the experiment runner, which leaves them out
of a scenario run on the kernel device and says so in the run's notes.

Each knob the kernel has no mechanism for has the value the kernel's behaviour amounts to
(GET shows it; a change to it, or null, is accepted) and the reason nothing else can be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stormlab_common.config import dotted

PROXY, KERNEL = "proxy", "kernel"
DEVICE_KINDS = (PROXY, KERNEL)  # what a device's GET /health says it is (``kind``; absent: proxy)

# (connections.<key>): (the value the kernel's behaviour amounts to, why nothing else can be)
PINNED_CONNECTIONS: dict[str, tuple[Any, str]] = {
    "setup_cost_bytes": (
        0, "the kernel's connection setup work is the router's own CPU time; nftables cannot charge it "
           "against a device's bandwidth"),
}
NO_FAULTS = ("the kernel device injects no faults (latency, resets, HTTP errors live in the proxy); "
             "use the proxy for a link with faults")
NO_RESET_FROM_THE_QUEUE = (
    "with a backlog the kernel device's SYNs wait in a tc queue, which drops a SYN that finds it full "
    "and cannot answer it with a reset; use on_overflow refuse, or backlog 0 (no queue: a SYN over the "
    "rate is reset at once)")
NO_HTTP = ("the kernel device forwards packets and never reads a request, so it cannot count or fault "
           "HTTP requests; use protocol tcp (or the proxy)")


def kernel_device_settings(devices: Mapping[str, Any], links: Mapping[str, Any]
                           ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """A scenario's device and link patches as the kernel device can take them: each knob it
    lacks left out, with one line per knob saying what was left out and why."""
    left_out: list[str] = []
    kernel_devices = {}
    for name, patch in devices.items():
        patch = dict(patch)
        connections = dict(patch.get("connections") or {})
        if connections.get("on_overflow") == "reset" and connections.get("backlog") != 0:
            connections["backlog"] = 0  # the one way the kernel can reset: no queue
            where = dotted(("devices", name, "connections", "backlog"))
            left_out.append(f"{where} = 0 for on_overflow reset: {NO_RESET_FROM_THE_QUEUE}")
        for key, (value, why) in PINNED_CONNECTIONS.items():
            given = connections.get(key)
            if given is not None and given != value:
                del connections[key]
                where = dotted(("devices", name, "connections", key))
                left_out.append(f"{where} = {given!r} left out: {why}")
        if "connections" in patch:
            patch["connections"] = connections
        kernel_devices[name] = patch
    kernel_links = {}
    for name, patch in links.items():
        patch = dict(patch)
        faults = patch.pop("faults", None) or {}
        for fault, params in faults.items():
            if params is not None:
                left_out.append(f"{dotted(('links', name, 'faults', fault))} left out: {NO_FAULTS}")
        if patch.get("protocol") == "http":
            del patch["protocol"]
            left_out.append(f"{dotted(('links', name, 'protocol'))} = 'http' left out: {NO_HTTP}")
        if patch:
            kernel_links[name] = patch
    return kernel_devices, kernel_links, left_out
