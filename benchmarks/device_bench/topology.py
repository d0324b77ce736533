"""Three network namespaces, clients | device | services, joined by two veth pairs: the path
both devices are measured on, so the proxy (a process in the device's namespace) and the
kernel device (rules in that namespace's kernel) carry the same packets over the same hops.

    clients  c0 10.79.1.2 --- d0 10.79.1.1  device  d1 10.79.2.1 --- s0 10.79.2.2  services

Plain routes both ways make a third path, "direct": the device namespace's kernel forwarding
with no device in it, the floor the devices' added latency is measured from. Everything is
removed on exit, also when a measurement fails (deleting a namespace deletes its links)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

PREFIX = "stormlab-bench-"
CLIENT_ADDRESS, DEVICE_CLIENTS_ADDRESS = "10.79.1.2", "10.79.1.1"
DEVICE_SERVICES_ADDRESS, SERVICE_ADDRESS = "10.79.2.1", "10.79.2.2"
CLIENTS_INTERFACE, SERVICES_INTERFACE = "d0", "d1"  # the device's two interfaces
CLIENT_INTERFACE = "c0"


def missing_requirement() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, nftables, tc): run it as root"
    for tool in ("ip", "nft", "tc"):
        if shutil.which(tool) is None:
            return f"needs {tool!r} on PATH (apt-get install iproute2 nftables)"
    return None


def _ip(*args: str, check: bool = True) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def remove_leftovers() -> None:
    """Namespaces a killed run left behind (they hold nothing but their interfaces)."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10).stdout
    for line in listed.splitlines():
        if line.startswith(PREFIX):
            _ip("netns", "del", line.split()[0], check=False)


class Topology:
    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:6]
        self.clients, self.device, self.services = (f"{PREFIX}{role}-{suffix}"
                                                    for role in ("clients", "device", "services"))
        self._made: list[str] = []

    def __enter__(self) -> Topology:
        remove_leftovers()
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for name in self._made:
            _ip("netns", "del", name, check=False)
        self._made.clear()

    def _build(self) -> None:
        for name in (self.clients, self.device, self.services):
            _ip("netns", "add", name)
            self._made.append(name)
        # made in the device's namespace, then one end moved out and renamed
        for inside, peer_ns, peer_name in ((CLIENTS_INTERFACE, self.clients, CLIENT_INTERFACE),
                                           (SERVICES_INTERFACE, self.services, "s0")):
            outside = f"x{uuid.uuid4().hex[:8]}"
            _ip("-n", self.device, "link", "add", "name", inside, "type", "veth", "peer", "name", outside)
            _ip("-n", self.device, "link", "set", outside, "netns", peer_ns)
            _ip("-n", peer_ns, "link", "set", outside, "name", peer_name)
        for ns, interface, address in ((self.clients, CLIENT_INTERFACE, CLIENT_ADDRESS),
                                       (self.device, CLIENTS_INTERFACE, DEVICE_CLIENTS_ADDRESS),
                                       (self.device, SERVICES_INTERFACE, DEVICE_SERVICES_ADDRESS),
                                       (self.services, "s0", SERVICE_ADDRESS)):
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", interface)
            _ip("-n", ns, "link", "set", interface, "up")
        for ns in self._made:
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", self.clients, "route", "add", "default", "via", DEVICE_CLIENTS_ADDRESS)
        _ip("-n", self.services, "route", "add", "default", "via", DEVICE_SERVICES_ADDRESS)
        subprocess.run(["ip", "netns", "exec", self.device, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
                       check=True, timeout=10)
