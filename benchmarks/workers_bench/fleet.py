"""The locust master and its workers: containers of the stack's own stormlab-loadgen image,
run as the stack runs them (docker-compose.yml's commands) and as `tools/worker.sh` runs one
on another host, so what is measured is the worker `make up` and `make worker` start.

- A bridge network of the run's own, as the stack's `internal`: the master and the workers on
  this host are on it, each in a network namespace of its own, and reach the origin at the
  bridge's gateway, an address of this host.
- The master publishes its workers' port (5557) on the other host's link, as
  docker-compose.remote-workers.yml does, and its web port on loopback, for this benchmark.
- A worker on the other host joins the placeholder's namespace; STORMLAB_DEVICE_HOST moves its
  target to this host's end of the link, STORMLAB_METRICS_ADVERTISE says where it stands.

Every container and the network carry the label ``io.stormlab.workers-bench=<run id>``:
removed by it on exit, and by `--clean` after a run that was killed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import docker
import requests

from experiments.clients.loadgen import LoadgenClient

LABEL = "io.stormlab.workers-bench"
LOCUSTFILE = ["-f", "/app/loadgen/locustfile.py"]
MASTER_PORT, WEB_PORT, METRICS_PORT = 5557, 8089, 9646
JOIN_TIMEOUT = 60.0  # seconds for workers to be counted by the master (~5 s on a quiet machine)


def remove_labelled(client: docker.DockerClient, value: str | None = None) -> list[str]:
    """Every container and network of the run ``value`` (None: of any run); what was removed."""
    selector = f"{LABEL}={value}" if value else LABEL
    removed = []
    for container in client.containers.list(all=True, filters={"label": selector}):
        container.remove(force=True)
        removed.append(f"container {container.name}")
    for network in client.networks.list(filters={"label": selector}):
        network.remove()
        removed.append(f"network {network.name}")
    return removed


@dataclass
class Worker:
    container: docker.models.containers.Container
    metrics_url: str

    @property
    def pid(self) -> int:
        return self.container.attrs["State"]["Pid"]


@dataclass
class Fleet:
    run_id: str
    client: docker.DockerClient
    image: str
    settings: dict[str, str]  # the loadgen's environment (offered.settings), target as on the bridge
    master_address: str  # this host's end of the other host's link: where the master is published
    workers: list[Worker] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.labels = {LABEL: self.run_id}
        self.network = self.client.networks.create(f"stormlab-workers-bench-{self.run_id}", driver="bridge",
                                                   labels=self.labels)
        self.network.reload()
        self.gateway = self.network.attrs["IPAM"]["Config"][0]["Gateway"]
        self.master_container = None
        self.master: LoadgenClient | None = None

    def start_master(self) -> None:
        name = f"stormlab-workers-bench-{self.run_id}-master"
        self.master_container = self.client.containers.run(
            self.image, [*LOCUSTFILE, "--master", "--web-port", str(WEB_PORT)], name=name, detach=True,
            network=self.network.name, labels=self.labels, environment=self.settings,
            ports={f"{WEB_PORT}/tcp": ("127.0.0.1", None), f"{MASTER_PORT}/tcp": (self.master_address,
                                                                                 MASTER_PORT)})
        self.master_container.reload()
        web = self.master_container.attrs["NetworkSettings"]["Ports"][f"{WEB_PORT}/tcp"][0]["HostPort"]
        self.master = LoadgenClient(f"http://127.0.0.1:{web}")
        self._until(lambda: self._answers(), 60, "the locust master answering on its web port")

    @property
    def master_pid(self) -> int:
        return self.master_container.attrs["State"]["Pid"]

    def start_here(self) -> Worker:
        """A worker on this host, on the run's bridge, as the stack's loadgen-worker."""
        index = len(self.workers)
        container = self.client.containers.run(
            self.image, [*LOCUSTFILE, "--worker", "--master-host", self.master_container.name],
            name=f"stormlab-workers-bench-{self.run_id}-worker-{index}", detach=True,
            network=self.network.name, labels=self.labels, environment=self.settings)
        container.reload()
        address = container.attrs["NetworkSettings"]["Networks"][self.network.name]["IPAddress"]
        return self._add(container, f"http://{address}:{METRICS_PORT}/metrics")

    def start_elsewhere(self, network_mode: str, other_address: str) -> Worker:
        """A worker on the other host: tools/worker.sh's `docker run`, in the placeholder's
        namespace (``network_mode``), joining the master across the link."""
        index = len(self.workers)
        port = METRICS_PORT + index  # as worker.sh numbers them: several may share the namespace
        container = self.client.containers.run(
            self.image, [*LOCUSTFILE, "--worker", "--master-host", self.master_address,
                         "--master-port", str(MASTER_PORT)],
            name=f"stormlab-workers-bench-{self.run_id}-worker-{index}", detach=True,
            network_mode=network_mode, labels={**self.labels, "io.stormlab.remote-worker": self.run_id},
            environment={**self.settings, "STORMLAB_LOADGEN_METRICS_PORT": str(port),
                         "STORMLAB_DEVICE_HOST": self.master_address,
                         "STORMLAB_METRICS_ADVERTISE": f"{other_address}:{port}"})
        container.reload()
        return self._add(container, f"http://{other_address}:{port}/metrics")

    def _add(self, container, metrics_url: str) -> Worker:
        worker = Worker(container, metrics_url)
        self.workers.append(worker)
        return worker

    def wait_joined(self) -> float:
        """Until the master counts every worker started; how long that took."""
        began = time.monotonic()
        want = len(self.workers)

        def joined() -> bool:
            for worker in self.workers:
                worker.container.reload()
                if worker.container.status != "running":
                    log = worker.container.logs(tail=10).decode(errors="replace")
                    raise RuntimeError(f"worker {worker.container.name} stopped before joining:\n{log}")
            return self.master.worker_count() == want

        self._until(joined, JOIN_TIMEOUT, f"the master counting {want} workers")
        return time.monotonic() - began

    def wait_running(self, clients: int, timeout: float = 60) -> None:
        """Until every client runs (the master's count of users)."""

        def running() -> bool:
            stats = self.master.stats()
            return stats.get("state") == "running" and stats.get("user_count") == clients

        self._until(running, timeout, f"{clients} clients running")

    def scrape(self, worker: Worker) -> str:
        answer = requests.get(worker.metrics_url, timeout=5)
        answer.raise_for_status()
        return answer.text

    def remove_workers(self) -> None:
        """SIGTERM first, so each tells the master it quit; then until the master counts none."""
        for worker in self.workers:
            try:
                worker.container.stop(timeout=10)
            finally:
                worker.container.remove(force=True)
        self.workers.clear()
        self._until(lambda: self.master.worker_count() == 0, 30, "the master counting no worker")

    def _answers(self) -> bool:
        try:
            self.master.worker_count()
        except Exception:
            return False
        return True

    def _until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.5)
