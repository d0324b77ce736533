"""A lab over real components where they can run in-process (the proxy's admin API, service
replicas called through Stack.call_service's own script) and a stateful fake of the locust
master where they cannot (locust needs its workers), all on loopback ports the kernel picks."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

from experiments.lab import Lab
from tests.unit.experiments_http_fake import FakeHttp
from tests.unit.experiments_live_components import ScriptCaller, proxy_admin, router_agent, service

LINKS = {"dns": {"upstream": "127.0.0.1:9"}, "api": {"upstream": "127.0.0.1:9"}}
DEVICES = {"border": {"connections": {"new_per_second": 100}}}
API = {"name": "api", "replica": "a1", "capacity": {"workers": 2, "queue_limit": 50},
       "work": {"service_time_seconds": 0.01}}
DNS = {"name": "dns", "role": "dns", "replica": "d1", "membership": {"services": ["api"]}}
BASE_PROFILES = {"sdk": {"weight": 1, "policy": {"name": "full-jitter"}}}
ENDPOINTS = [{"replica": "a1", "address": "10.0.0.5:8080"}]


class FakeLoadgen(FakeHttp):
    """The locust master: a live config whose every PUT its one worker applies at once."""

    def __init__(self) -> None:
        super().__init__()
        self.generation, self.patch, self.users = 0, {}, 0
        self.on("PUT", "/stormlab/config", self._put)
        self.on("GET", "/stormlab/config", lambda call: (200, self._state()))
        self.on("POST", "/swarm", self._swarm)
        self.on("POST", "/stop", self._stop)
        self.on("GET", "/stats/requests", lambda call: (200, {"state": "running" if self.users else "stopped",
                                                              "user_count": self.users}))

    def puts(self) -> list:
        return [c.body for c in self.called("PUT", "/stormlab/config")]

    def _state(self) -> dict:
        return {"generation": self.generation, "patch": self.patch,
                "config": {"clients": copy.deepcopy(BASE_PROFILES)}, "workers": {"w1": self.generation}}

    def _put(self, call):
        self.generation, self.patch = self.generation + 1, call.body
        return 200, self._state()

    def _swarm(self, call):
        self.users = int(call.body["user_count"])
        return 200, {"success": True, "message": "Swarming started"}

    def _stop(self, call):
        self.users = 0
        return 200, {"success": True}


class FakeStack:
    """experiments/stack.py's Stack as the lab uses it, pointing at the components above."""

    project = "fake"

    def __init__(self, urls: dict[str, str], services: ScriptCaller):
        self.urls, self.services = urls, services

    def url(self, service: str, port: int) -> str | None:
        return self.urls.get(service)

    def call_service(self, service, method, path, body=None):
        return self.services.call_service(service, method, path, body)

    def replica_endpoints(self, service: str) -> list[dict]:
        return copy.deepcopy(ENDPOINTS)


@contextlib.contextmanager
def lab_over_components(device: str = "proxy") -> Iterator[tuple[Lab, object, FakeLoadgen, FakeHttp]]:
    """Yields (lab, the device's state: the proxy's Topology or the router's RouterState, the fake
    locust master, a fake Prometheus). ``device``: proxy, or kernel (the router's agent)."""
    device_api = (proxy_admin(LINKS, DEVICES) if device == "proxy" else
                  router_agent({name: {**link, "listen_port": 18081 + n} for n, (name, link) in enumerate(LINKS.items())},
                               DEVICES))
    with (device_api as (proxy_url, topology), service(API) as api, service(DNS) as dns,
          FakeLoadgen() as loadgen, FakeHttp() as prometheus):
        stack = FakeStack({"proxy": proxy_url, "loadgen": loadgen.url, "prometheus": prometheus.url},
                          ScriptCaller({"api": api, "dns": dns}))
        yield Lab(stack), topology, loadgen, prometheus
