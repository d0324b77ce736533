"""The lab as an experiment changes it: the proxy, the services and the clients, reached only
through their HTTP APIs. It remembers every change it makes, so ``restore`` puts the stack
back as it found it, after a run, a failure or a Ctrl-C.
"""

from __future__ import annotations

import copy
import time

import requests

from experiments.stack import Stack, StackError

HTTP_TIMEOUT = 10


class Lab:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.proxy = _required(stack, "proxy", 8474)
        self.locust = _required(stack, "loadgen", 8089)
        self.prometheus = _required(stack, "prometheus", 9090)
        self.grafana = stack.url("grafana", 3000)
        self.pushgateway = stack.url("pushgateway", 9091)  # None: the run's state is not published
        self.http = requests.Session()
        self._devices: dict[str, dict | None] = {}  # as found (None: created by the run)
        self._links: dict[str, dict] = {}
        self._services: dict[str, dict] = {}
        self._client_patch: dict | None = None
        self._base_clients: dict = {}
        self._count = 0

    # --- the device ---------------------------------------------------------------------------
    def device_arrivals(self, since: float, until: float) -> dict:
        """When connections arrived at the devices between two wall-clock times, per 100 ms,
        as each device's kernel timed the handshake (``GET /arrivals``, docs/proxy.md)."""
        return _ok(self.http.get(f"{self.proxy}/arrivals", timeout=HTTP_TIMEOUT,
                                 params={"since": since, "until": until}))

    def patch_device(self, device: str, patch: dict) -> None:
        if device not in self._devices:
            found = self.http.get(f"{self.proxy}/devices/{device}", timeout=HTTP_TIMEOUT)
            if found.status_code == 404:
                self._call("POST", f"{self.proxy}/devices", {"name": device, **patch})
                self._devices[device] = None
                return
            self._devices[device] = _ok(found)
        self._call("PATCH", f"{self.proxy}/devices/{device}", patch)

    def patch_link(self, link: str, patch: dict) -> None:
        if link not in self._links:
            self._links[link] = _ok(self.http.get(f"{self.proxy}/links/{link}", timeout=HTTP_TIMEOUT))
        self._call("PATCH", f"{self.proxy}/links/{link}", patch)

    # --- the services -------------------------------------------------------------------------
    def patch_service(self, service: str, patch: dict) -> None:
        if service not in self._services:
            self._services[service] = self.stack.call_service(service, "GET", "/admin/config")[0]
        self.stack.call_service(service, "PATCH", "/admin/config", patch)

    def announce_membership(self, service: str) -> int:
        """The scaling activity's announcement: the service's replicas, under a new version."""
        network = f"{self.stack.project}_main"
        endpoints = [
            {
                "replica": c.attrs["Config"]["Hostname"],
                "address": f"{c.attrs['NetworkSettings']['Networks'][network]['IPAddress']}:8080",
            }
            for c in self.stack.containers(service)
        ]
        # republish: a new version every time, so every run's trigger makes the watching
        # clients reconnect, not only the first one after the stack started
        answers = self.stack.call_service(
            "dns", "PUT", f"/admin/membership/{service}", {"endpoints": endpoints, "republish": True}
        )
        return answers[0].get("version", 0)

    # --- the clients --------------------------------------------------------------------------
    def configure_clients(self, patch: dict, seed: int) -> None:
        """The clients' config for this run: the scenario's patch over the loadgen's base, with
        the base's client profiles replaced (not merged) when the scenario names its own."""
        if self._client_patch is None:
            self._base_clients = self._put_client_config({})["config"]["clients"]
        patch = copy.deepcopy(patch)
        if "clients" in patch:
            patch["clients"] = {**dict.fromkeys(self._base_clients), **patch["clients"]}
        patch["seed"] = seed
        self._client_patch = patch
        self._put_client_config(patch)

    def patch_clients(self, profile_patch: dict) -> None:
        """Change every client profile, e.g. its policy (replaced whole, not merged)."""
        patch = copy.deepcopy(self._client_patch or {})
        profiles = patch.get("clients") or {}
        names = [n for n, p in profiles.items() if p is not None] or list(self._base_clients)
        for name in names:
            profile = dict(profiles.get(name) or self._base_clients.get(name) or {})
            profile.update(profile_patch)
            profiles[name] = profile
        patch["clients"] = {**dict.fromkeys(self._base_clients), **profiles}
        self._client_patch = patch
        self._put_client_config(patch)

    def set_client_setting(self, key: str, value) -> None:
        """Change one top-level setting of the clients' config (e.g. ``fetch_on_start``)."""
        patch = copy.deepcopy(self._client_patch or {})
        patch[key] = value
        self._client_patch = patch
        self._put_client_config(patch)

    @property
    def client_count(self) -> int:
        return self._count

    def set_client_count(self, count: int, spawn_rate: float = 100) -> None:
        answer = self.http.post(
            f"{self.locust}/swarm", timeout=HTTP_TIMEOUT, data={"user_count": count, "spawn_rate": spawn_rate}
        )
        body = _ok(answer)
        if isinstance(body, dict) and body.get("success") is False:
            raise StackError(f"locust refused the swarm: {body.get('message')}")
        self._count = count

    def stop_clients(self) -> None:
        self.http.get(f"{self.locust}/stop", timeout=HTTP_TIMEOUT)
        self._count = 0

    def clients_stopped(self) -> bool:
        stats = _ok(self.http.get(f"{self.locust}/stats/requests", timeout=HTTP_TIMEOUT))
        return stats.get("state") in ("ready", "stopped") and not stats.get("user_count")

    def _put_client_config(self, patch: dict, timeout: float = 20) -> dict:
        answer = _ok(self.http.put(f"{self.locust}/stormlab/config", json=patch, timeout=HTTP_TIMEOUT))
        generation = answer["generation"]
        deadline = time.monotonic() + timeout
        while True:  # every worker has the config before any client runs under it
            workers = answer.get("workers") or {}
            if workers and all(g >= generation for g in workers.values()):
                return answer
            if time.monotonic() > deadline:
                raise StackError(
                    f"the load generator's workers did not apply config {generation} in "
                    f"{timeout:.0f} s: {workers}"
                )
            time.sleep(0.2)
            answer = _ok(self.http.get(f"{self.locust}/stormlab/config", timeout=HTTP_TIMEOUT))

    def client_sends(self, since: float, until: float, timeout: float = 10) -> dict:
        """When the clients sent their attempts between two wall-clock times, per 100 ms
        (``GET /stormlab/attempts``, docs/clients.md). Waits until every worker has reported
        past ``until``: workers report every half second, later when the machine is busy."""
        deadline = time.monotonic() + timeout
        while True:
            answer = _ok(self.http.get(f"{self.locust}/stormlab/attempts", timeout=HTTP_TIMEOUT,
                                       params={"since": since, "until": until}))
            if answer.get("complete"):
                return answer
            if time.monotonic() > deadline:
                raise StackError(
                    f"the load generator's workers had not all reported their attempts up to the "
                    f"end of the window after {timeout:.0f} s: {answer.get('workers')}"
                )
            time.sleep(0.5)

    # --- observation ----------------------------------------------------------------------------
    def query_range(self, promql: str, start: float, end: float, step: float = 1.0) -> list[dict]:
        answer = _ok(
            self.http.get(
                f"{self.prometheus}/api/v1/query_range",
                timeout=60,
                params={"query": promql, "start": start, "end": end, "step": step},
            )
        )
        return answer["data"]["result"]

    def query(self, promql: str) -> float | None:
        result = _ok(
            self.http.get(f"{self.prometheus}/api/v1/query", timeout=HTTP_TIMEOUT, params={"query": promql})
        )["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    # --- back as found ----------------------------------------------------------------------------
    def restore(self) -> list[str]:
        """Undo every change, in reverse order of dependence; returns what could not be undone."""
        failures = []
        steps = [("stop the clients", self.stop_clients)]
        if self._client_patch is not None:
            steps.append(("restore the clients' config", lambda: self._put_client_config({})))
        for link, found in self._links.items():
            steps.append(
                (
                    f"restore link {link}",
                    lambda link=link, found=found: self._call(
                        "PATCH", f"{self.proxy}/links/{link}", _restorable(found)
                    ),
                )
            )
        for device, found in self._devices.items():
            if found is None:
                steps.append(
                    (
                        f"remove device {device}",
                        lambda device=device: self._call("DELETE", f"{self.proxy}/devices/{device}"),
                    )
                )
            else:
                steps.append(
                    (
                        f"restore device {device}",
                        lambda device=device, found=found: self._call(
                            "PATCH", f"{self.proxy}/devices/{device}", _restorable(found)
                        ),
                    )
                )
        for service, found in self._services.items():
            steps.append(
                (
                    f"restore {service} settings",
                    lambda service=service, found=found: self.stack.call_service(
                        service, "PATCH", "/admin/config", _service_restorable(found)
                    ),
                )
            )
        for what, step in steps:
            try:
                step()
            except (requests.RequestException, StackError, KeyError, ValueError) as exc:
                failures.append(f"{what}: {exc}")
        self._links.clear()
        self._devices.clear()
        self._services.clear()
        self._client_patch = None
        return failures

    def _call(self, method: str, url: str, body: dict | None = None):
        return _ok(self.http.request(method, url, json=body, timeout=HTTP_TIMEOUT))


def _restorable(found: dict) -> dict:
    """A GET answer (``{"name", "config", "state", ...}``) as a PATCH body: its config, whole."""
    return found["config"]


def _service_restorable(found: dict) -> dict:
    keep = ("capacity", "work", "queue", "mitigations")
    return {k: v for k, v in found.items() if k in keep}


def _required(stack: Stack, service: str, port: int) -> str:
    url = stack.url(service, port)
    if url is None:
        raise StackError(
            f"{service}'s port {port} is not published in project {stack.project!r}; the runner "
            "reaches it there (see docker-compose.yml)"
        )
    return url


def _ok(response: requests.Response):
    if response.status_code >= 400:
        raise StackError(
            f"{response.request.method} {response.url} answered {response.status_code}: {response.text[:500]}"
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text
