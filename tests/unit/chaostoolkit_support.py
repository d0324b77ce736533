"""The stack as the Chaos Toolkit extension sees it, on real HTTP servers on ports the kernel
picks (tests/unit/experiments_http_fake.py): a proxy admin API that keeps its devices and
links and applies merge patches, a locust master whose workers apply a config a poll later,
and a Prometheus that answers each query from a table."""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from tests.unit.experiments_http_fake import Call, FakeHttp

pytest.importorskip("chaosstormlab", reason="the Chaos Toolkit extension is not installed: "
                                            ".venv/bin/pip install -e integrations/chaostoolkit")

BORDER = {"upstream": {"bytes_per_second": None, "burst_bytes": None, "buffer_bytes": 4194304},
          "downstream": {"bytes_per_second": None, "burst_bytes": None, "buffer_bytes": 4194304},
          "connections": {"new_per_second": None, "new_burst": None, "max_active": None, "backlog": 1024,
                          "backlog_timeout_seconds": 2.0, "on_overflow": "refuse", "setup_cost_bytes": 0}}
LINK = {"listen_port": 8053, "upstream": "dns:8080", "device": "border", "protocol": "http", "faults": {}}
BASE_PROFILES = {"sdk": {"policy": {"name": "full-jitter", "max_attempts": 3, "base_seconds": 0.1,
                                    "cap_seconds": 10.0}, "weight": 1.0}}


def merged(target: Any, patch: Any) -> Any:
    """RFC 7386, as the components apply a PATCH."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merged(result.get(key), value)
    return result


class FakeProxy(FakeHttp):
    """Devices ``border`` and links ``dns``, ``api``; a PATCH merges; ``refuse`` makes the next
    change answer an error instead."""

    def __init__(self) -> None:
        super().__init__()
        self.devices = {"border": copy.deepcopy(BORDER)}
        self.links = {"dns": copy.deepcopy(LINK), "api": {**copy.deepcopy(LINK), "listen_port": 8081,
                                                           "upstream": "api:8080"}}
        self.refusal: tuple[int, dict] | None = None
        self.on("GET", "/health", (200, {"status": "ok", "kind": "proxy"}))
        self.on("GET", "/devices", lambda call: (200, [self._device(n) for n in self.devices]))
        self.on("GET", "/links", lambda call: (200, [self._link(n) for n in self.links]))
        self.on("POST", "/devices", self._create_device)
        for name in ("border", "dns-path", "nope"):
            self._device_routes(name)
        for name in ("dns", "api", "nope"):
            self.on("GET", f"/links/{name}", lambda call, n=name: (200, self._link(n)) if n in self.links
                    else (404, {"error": f"unknown link {n!r}", "known": sorted(self.links)}))
            self.on("PATCH", f"/links/{name}", lambda call, n=name: self._change(self.links, n, call.body,
                                                                                   self._link))

    def _device_routes(self, name: str) -> None:
        self.on("GET", f"/devices/{name}", lambda call: (200, self._device(name)) if name in self.devices
                else (404, {"error": f"unknown device {name!r}", "known": sorted(self.devices)}))
        self.on("PATCH", f"/devices/{name}", lambda call: self._change(self.devices, name, call.body, self._device))
        self.on("DELETE", f"/devices/{name}", lambda call: (self.devices.pop(name, None), (204, None))[1])

    def _device(self, name: str) -> dict:
        return {"name": name, "config": copy.deepcopy(self.devices[name]), "links": []}

    def _link(self, name: str) -> dict:
        return {"name": name, "config": copy.deepcopy(self.links[name])}

    def _create_device(self, call: Call):
        body = dict(call.body)
        name = body.pop("name")
        self.devices[name] = merged(copy.deepcopy(BORDER), body)
        return 201, self._device(name)

    def _change(self, table: dict, name: str, patch: dict, shown: Callable[[str], dict]):
        if self.refusal is not None:
            refusal, self.refusal = self.refusal, None
            return refusal
        if name not in table:
            return 404, {"error": f"unknown {name!r}", "known": sorted(table)}
        table[name] = merged(table[name], patch)
        return 200, shown(name)


class FakeLoadgen(FakeHttp):
    """A locust master: ``/swarm``, ``/stop``, ``/stats/requests``, ``/stormlab/config``. Its one
    worker applies a new generation ``lag`` polls after the PUT (never, with ``lag=None``)."""

    def __init__(self, lag: int | None = 1) -> None:
        super().__init__()
        self.generation, self.patch, self.applied, self.lag, self.users = 0, {}, 0, lag, 0
        self._polls = 0
        self.on("POST", "/swarm", self._swarm)
        self.on("POST", "/stop", lambda call: (setattr(self, "users", 0), (200, {"success": True}))[1])
        self.on("GET", "/stats/requests", lambda call: (200, {"state": "running" if self.users else "stopped",
                                                               "user_count": self.users}))
        self.on("GET", "/stormlab/config", lambda call: (200, self._state(poll=True)))
        self.on("PUT", "/stormlab/config", self._put)

    def _swarm(self, call: Call):
        self.users = int(call.body["user_count"])
        return 200, {"success": True, "message": "Swarming started"}

    def _put(self, call: Call):
        self.generation += 1
        self.patch = call.body
        self._polls = 0
        return 200, self._state(poll=False)

    def _state(self, poll: bool) -> dict:
        if poll:
            self._polls += 1
            if self.lag is not None and self._polls >= self.lag:
                self.applied = self.generation
        clients = merged(copy.deepcopy(BASE_PROFILES), self.patch.get("clients") or {})
        return {"generation": self.generation, "patch": copy.deepcopy(self.patch),
                "config": {"clients": clients}, "workers": {"worker-1": self.applied}}


class FakePrometheus(FakeHttp):
    """``/api/v1/query`` answered from ``values``: the first key the query contains gives its
    value (None: no series); ``series`` answers whole result lists."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, float | None] = {}
        self.series: dict[str, list[dict]] = {}
        self.on("GET", "/api/v1/query", self._query)

    def _query(self, call: Call):
        query = call.query["query"]
        if "syntax error" in query:
            return 400, {"status": "error", "errorType": "bad_data", "error": "parse error: unexpected"}
        for fragment, result in self.series.items():
            if fragment in query:
                return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}
        for fragment, value in self.values.items():
            if fragment in query:
                result = [] if value is None else [{"metric": {}, "value": [0, str(value)]}]
                return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}
        return 200, {"status": "success", "data": {"resultType": "vector", "result": []}}


@contextmanager
def fake_stack():
    """The three fakes and a Chaos Toolkit configuration pointing at them; what the extension
    recorded to put back is forgotten before and after (each test is its own run)."""
    from chaosstormlab import changes

    changes._BY_STACK.clear()
    with FakeProxy() as proxy, FakeLoadgen() as loadgen, FakePrometheus() as prometheus:
        configuration = {"stormlab_proxy_url": proxy.url, "stormlab_loadgen_url": loadgen.url,
                         "stormlab_prometheus_url": prometheus.url}
        yield SimpleNamespace(proxy=proxy, loadgen=loadgen, prometheus=prometheus, configuration=configuration)
    changes._BY_STACK.clear()
