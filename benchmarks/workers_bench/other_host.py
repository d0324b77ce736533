"""Another host, stood for as tests/integration/test_remote_workers.py does it: a network
namespace of its own joined to this one by a veth pair (this host 10.79.3.1/24, the other
10.79.3.2/24), its only interfaces that link and loopback. It is held by a placeholder
container with no network of Docker's (``sleep infinity``), so the worker, a container of the
same image, joins it with ``--network container:<placeholder>``, as `tools/worker.sh up
--network container:...` places one. Its traffic crosses the link as between two machines: to
the master through Docker's published port on 10.79.3.1, to the origin listening there.

10.79.3.0/24, beside the integration test's 10.79.0.0/24 and bench-device's 10.79.1-2.0/24, so
this runs while they do. Everything is removed on exit, also when a step fails.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import docker

THIS_HOST, OTHER_HOST = "10.79.3.1", "10.79.3.2"
NAMESPACE_PREFIX = "stormlab-workers-bench-"
LINK_PREFIX = "swbh"  # this host's end; the other end is "swbp..." until moved into the namespace


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def address_in_use() -> str | None:
    """The interface that already holds an address of the link's subnet, if any: another run
    of this benchmark, or one killed before it cleaned up (`--clean` removes those)."""
    listed = ip("-4", "-o", "addr", "show").stdout
    for line in listed.splitlines():
        fields = line.split()
        if fields[3].startswith(THIS_HOST.rsplit(".", 1)[0] + "."):
            return fields[1]
    return None


def remove_leftovers() -> list[str]:
    """The namespaces and links a killed run left behind; what was removed."""
    removed = []
    for line in ip("netns", "list").stdout.splitlines():
        if line.startswith(NAMESPACE_PREFIX):
            ip("netns", "del", line.split()[0], check=False)
            removed.append(f"namespace {line.split()[0]}")
    for line in ip("-o", "link", "show").stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(LINK_PREFIX):
            ip("link", "del", name, check=False)
            removed.append(f"link {name}")
    return removed


@dataclass
class OtherHost:
    run_id: str
    client: docker.DockerClient
    image: str
    labels: dict[str, str]

    def __post_init__(self) -> None:
        self.namespace = f"{NAMESPACE_PREFIX}{self.run_id}"
        self.placeholder = f"stormlab-workers-bench-{self.run_id}-other-host"
        self.link, self._peer = f"{LINK_PREFIX}{self.run_id}", f"swbp{self.run_id}"

    def __enter__(self) -> OtherHost:
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _build(self) -> None:
        ip("link", "add", "name", self.link, "type", "veth", "peer", "name", self._peer)
        ip("addr", "add", f"{THIS_HOST}/24", "dev", self.link)
        ip("link", "set", self.link, "up")
        holder = self.client.containers.run(self.image, entrypoint=["sleep", "infinity"],
                                            name=self.placeholder, network_mode="none", detach=True,
                                            labels=self.labels)
        holder.reload()  # its pid, now it runs
        Path("/var/run/netns").mkdir(parents=True, exist_ok=True)
        ip("netns", "attach", self.namespace, str(holder.attrs["State"]["Pid"]))
        ip("link", "set", self._peer, "netns", self.namespace)
        ip("-n", self.namespace, "addr", "add", f"{OTHER_HOST}/24", "dev", self._peer)
        ip("-n", self.namespace, "link", "set", self._peer, "up")
        ip("-n", self.namespace, "link", "set", "lo", "up")

    def network_mode(self) -> str:
        return f"container:{self.placeholder}"

    def link_bytes(self) -> tuple[int, int]:
        """Bytes this host received and sent on the link so far."""
        stats = Path(f"/sys/class/net/{self.link}/statistics")
        return int((stats / "rx_bytes").read_text()), int((stats / "tx_bytes").read_text())

    def __exit__(self, *exc) -> None:
        for container in self.client.containers.list(all=True, filters={"name": self.placeholder}):
            container.remove(force=True)
        ip("netns", "del", self.namespace, check=False)
        ip("link", "del", self.link, check=False)  # gone with the namespace, unless it never got there
