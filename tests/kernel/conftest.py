"""Three network namespaces, client | router | service, joined by two veth pairs, for tests of
the kernel device against the real kernel (no Docker). Needs root, ``ip`` and ``nft``;
skipped with the reason otherwise. Everything made here is removed in the finalizer, also
when a test fails (deleting a namespace deletes its interfaces and rules).

    client  c0 10.77.1.2/24 --- clients0 10.77.1.1/24  router  services0 10.77.2.1/24 --- s0 10.77.2.2/24  service

The service has no route back to the clients' network: replies reach the clients only
because the router masquerades.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass

import pytest

CLIENT_ADDRESS, ROUTER_CLIENTS_ADDRESS = "10.77.1.2", "10.77.1.1"
ROUTER_SERVICES_ADDRESS, SERVICE_ADDRESS = "10.77.2.1", "10.77.2.2"
CLIENTS_INTERFACE, SERVICES_INTERFACE = "clients0", "services0"


@dataclass(frozen=True)
class Namespaces:
    client: str
    router: str
    service: str


def _missing_requirement() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, nftables, tc)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"needs {tool!r} on PATH"
    try:
        import pyroute2  # noqa: F401
    except ImportError:
        return "needs pyroute2 (pip install pyroute2)"
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


@pytest.fixture
def namespaces():
    reason = _missing_requirement()
    if reason:
        pytest.skip(reason)
    suffix = uuid.uuid4().hex[:6]
    spaces = Namespaces(*(f"stormlab-t-{role}-{suffix}" for role in ("client", "router", "service")))
    made: list[str] = []
    try:
        for name in (spaces.client, spaces.router, spaces.service):
            _ip("netns", "add", name)
            made.append(name)
        # veth pairs are made in the router's namespace, then one end moved out and renamed
        for inside, outside, peer_ns, peer_name in ((CLIENTS_INTERFACE, f"tc{suffix}", spaces.client, "c0"),
                                                    (SERVICES_INTERFACE, f"ts{suffix}", spaces.service, "s0")):
            _ip("-n", spaces.router, "link", "add", "name", inside, "type", "veth", "peer", "name", outside)
            _ip("-n", spaces.router, "link", "set", outside, "netns", peer_ns)
            _ip("-n", peer_ns, "link", "set", outside, "name", peer_name)
        for ns, interface, address in ((spaces.client, "c0", CLIENT_ADDRESS),
                                       (spaces.router, CLIENTS_INTERFACE, ROUTER_CLIENTS_ADDRESS),
                                       (spaces.router, SERVICES_INTERFACE, ROUTER_SERVICES_ADDRESS),
                                       (spaces.service, "s0", SERVICE_ADDRESS)):
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", interface)
            _ip("-n", ns, "link", "set", interface, "up")
        for ns in made:
            _ip("-n", ns, "link", "set", "lo", "up")
        subprocess.run(["ip", "netns", "exec", spaces.router, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
                       check=True, timeout=10)
    except Exception as exc:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)
        if made:
            raise
        pytest.skip(f"cannot create network namespaces here: {exc}")
    try:
        yield spaces
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)
