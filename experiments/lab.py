"""The lab as an experiment changes it: the proxy, the services and the clients, each reached
through its own client (experiments/clients/), every change undoable.

Each change pushes its inverse onto one undo stack (experiments/undo.py) before it is made;
``restore`` stops the clients, then pops every inverse, the last change first, so the stack
is back as the lab found it after a run, a failure or a Ctrl-C. What each change sends is
built purely in experiments/change_bodies.py, so a scenario can be checked offline.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from experiments.change_bodies import (
    client_patch_for_run,
    client_setting_patch,
    device_creation_body,
    proxy_restore_body,
    restoring_patch,
    service_restore_body,
    switched_client_patch,
)
from experiments.clients.loadgen import ATTEMPTS_TIMEOUT, LoadgenClient
from experiments.clients.prometheus import PrometheusClient
from experiments.clients.proxy import ProxyClient
from experiments.clients.services import ServicesClient
from experiments.errors import StackError
from experiments.stack import Stack
from experiments.undo import UndoStack
from stormlab_common.contracts.kernel_device import KERNEL, PROXY, kernel_device_settings


class Lab:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.proxy = ProxyClient(_required(stack, "proxy", 8474))
        self.loadgen = LoadgenClient(_required(stack, "loadgen", 8089))
        self.prometheus = PrometheusClient(_required(stack, "prometheus", 9090))
        self.services = ServicesClient(stack)
        self.grafana = stack.url("grafana", 3000)  # None: no annotations
        self.pushgateway = stack.url("pushgateway", 9091)  # None: the run's state is not published
        self.undo = UndoStack()
        self._known: dict[tuple[str, str], dict] = {}  # what the last change to each thing answered
        self._created: set[str] = set()  # devices this run added
        self._client_patch: dict | None = None  # the clients' config patch as last sent
        self._base_profiles: dict = {}  # the loadgen's own client profiles
        self._base_workload: dict = {}  # ... and its own workload
        self._count = 0
        self.device_kind = self.proxy.health().get("kind", PROXY)  # an older proxy says none
        wanted = os.environ.get("STORMLAB_DEVICE") or self.device_kind
        if wanted != self.device_kind:
            raise StackError(f"stack {stack.project!r} runs the {self.device_kind} device but "
                             f"STORMLAB_DEVICE (make's DEVICE) asks for the {wanted} one: `make down`, then "
                             f"`make up DEVICE={wanted}` (or leave DEVICE out to use the stack as it is)")
        self.left_out: list[str] = []  # knobs the device lacks, left out of this run's changes

    # --- the device ---------------------------------------------------------------------------
    def device_arrivals(self, since: float, until: float) -> dict:
        """When connections arrived at the devices between two wall-clock times, per 100 ms,
        as each device's kernel timed the handshake (``GET /arrivals``, docs/proxy.md)."""
        return self.proxy.arrivals(since, until)

    def _as_the_device_takes(self, devices: dict, links: dict) -> tuple[dict, dict]:
        """The kernel device lacks some of the proxy's knobs: they are left out, each named once."""
        if self.device_kind != KERNEL:
            return devices, links
        devices, links, left_out = kernel_device_settings(devices, links)
        self.left_out += [line for line in left_out if line not in self.left_out]
        return devices, links

    def patch_device(self, device: str, patch: dict) -> None:
        """Change a device's settings; a device the stack does not have is created."""
        patch = self._as_the_device_takes({device: patch}, {})[0][device]
        if device in self._created:  # removing it undoes this change too
            self.proxy.patch_device(device, patch)
            return
        before = self._before(("device", device), lambda: self.proxy.device(device))
        if before is None:
            self.undo.push(f"remove device {device}",
                           lambda: self.proxy.delete_device(device, missing_ok=True))
            self.proxy.create_device(device_creation_body(device, patch))
            self._created.add(device)
            return
        body = proxy_restore_body(before)
        self.undo.push(f"restore device {device}", lambda: self.proxy.patch_device(
            device, restoring_patch(body, proxy_restore_body(self.proxy.device(device)))))
        self._known[("device", device)] = self.proxy.patch_device(device, patch)

    def patch_link(self, link: str, patch: dict) -> None:
        patch = self._as_the_device_takes({}, {link: patch})[1].get(link)
        if not patch:
            return  # nothing the kernel device can take
        before = self._before(("link", link), lambda: self.proxy.link(link))
        body = proxy_restore_body(before)
        self.undo.push(f"restore link {link}", lambda: self.proxy.patch_link(
            link, restoring_patch(body, proxy_restore_body(self.proxy.link(link)))))
        self._known[("link", link)] = self.proxy.patch_link(link, patch)

    def put_link(self, link: str, config: dict) -> None:
        """A link with this config (a service under test's): created, and removed afterwards; or,
        if the proxy has one of that name, changed, and put back afterwards."""
        if self.proxy.link(link, missing_ok=True) is not None:
            self.patch_link(link, config)
            return
        if self.device_kind == KERNEL:
            raise StackError(f"the kernel device cannot create link {link!r}: its links are fixed when it "
                             "starts (router/config.yml); run a service under test on the proxy device")
        self.undo.push(f"remove link {link}", lambda: self.proxy.delete_link(link, missing_ok=True))
        self.proxy.create_link({"name": link, **config})

    # --- the services -------------------------------------------------------------------------
    def patch_service(self, service: str, patch: dict) -> None:
        before = self._before(("service", service), lambda: self.services.config(service))
        body = service_restore_body(before)
        self.undo.push(f"restore {service} settings", lambda: self.services.patch_config(
            service, restoring_patch(body, service_restore_body(self.services.config(service)))))
        self._known[("service", service)] = self.services.patch_config(service, patch)

    def announce_membership(self, service: str) -> int:
        """The scaling activity's announcement: the service's replicas, under a new version
        every time, so every run's trigger makes the watching clients reconnect, not only the
        first one after the stack started. Not undone: a membership only moves forward."""
        return self.services.announce_membership(service, self.stack.replica_endpoints(service))

    # --- the clients --------------------------------------------------------------------------
    def configure_clients(self, patch: dict, seed: int) -> None:
        """The clients' config for this run: the scenario's patch over the loadgen's base, with
        the base's client profiles (and calls) replaced, not merged, when the scenario names its own."""
        if self._client_patch is None:  # the base, as the loadgen has it without any patch
            base = self.loadgen.put_config({})["config"]
            self._base_profiles, self._base_workload = base["clients"], base.get("workload", {})
        self._send_client_patch(client_patch_for_run(patch, self._base_profiles, seed, self._base_workload))

    def patch_clients(self, profile_patch: dict) -> None:
        """Change every client profile, e.g. its policy (replaced whole, not merged)."""
        self._send_client_patch(switched_client_patch(self._client_patch, self._base_profiles, profile_patch))

    def set_client_setting(self, key: str, value) -> None:
        """Change one top-level setting of the clients' config (e.g. ``fetch_on_start``)."""
        self._send_client_patch(client_setting_patch(self._client_patch, key, value))

    def _send_client_patch(self, patch: dict) -> None:
        if self._client_patch is None:
            # each PUT replaces the whole patch: the empty one, the base, undoes them all
            self.undo.push("restore the clients' config", lambda: self.loadgen.put_config({}))
        self._client_patch = patch
        self.loadgen.put_config(patch)

    @property
    def client_count(self) -> int:
        return self._count

    def set_client_count(self, count: int, spawn_rate: float = 100) -> None:
        self.loadgen.swarm(count, spawn_rate)
        self._count = count

    def stop_clients(self) -> None:
        self.loadgen.stop()
        self._count = 0

    def worker_count(self) -> int:
        """The load generator's workers running the clients, wherever they run."""
        return self.loadgen.worker_count()

    def clients_stopped(self) -> bool:
        return self.loadgen.stopped()

    def client_sends(self, since: float, until: float, timeout: float = ATTEMPTS_TIMEOUT) -> dict:
        """When the clients sent their attempts between two wall-clock times, per 100 ms
        (``GET /stormlab/attempts``, docs/clients.md), once every worker has reported them."""
        return self.loadgen.attempts(since, until, timeout)

    # --- observation ----------------------------------------------------------------------------
    def query_range(self, promql: str, start: float, end: float, step: float = 1.0) -> list[dict]:
        return self.prometheus.query_range(promql, start, end, step)

    def query(self, promql: str) -> float | None:
        return self.prometheus.query(promql)

    # --- back as found ----------------------------------------------------------------------------
    def restore(self) -> list[str]:
        """Undo every change; returns what could not be undone (the other steps still ran)."""
        # whatever the order of the changes, the clients stop before anything they use goes back
        self.undo.push("stop the clients", self.stop_clients)
        failures = self.undo.restore()
        self._known.clear()
        self._created.clear()
        self._client_patch = None
        return failures

    def _before(self, key: tuple[str, str], read: Callable[[], dict | None]) -> dict | None:
        """How a thing is before a change: what the last change to it answered, else a fresh
        read. Forgotten until the change answers, so after a failed change it is read again."""
        return self._known.pop(key) if key in self._known else read()


def _required(stack: Stack, service: str, port: int) -> str:
    url = stack.url(service, port)
    if url is None:
        raise StackError(
            f"{service}'s port {port} is not published in project {stack.project!r}; the runner "
            "reaches it there (see docker-compose.yml)"
        )
    return url
