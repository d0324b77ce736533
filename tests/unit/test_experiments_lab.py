"""The lab against fake components over real HTTP: it changes things, remembers what it found,
and puts everything back in the right order, saying what it could not."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from experiments.lab import Lab
from experiments.stack import StackError


class FakeComponents(BaseHTTPRequestHandler):
    """The proxy's admin API and the locust master's, on one port; records every call."""

    calls: list[tuple[str, str, object]] = []
    devices: dict[str, dict] = {}
    links: dict[str, dict] = {}
    failing: set[tuple[str, str]] = set()
    worker_generation_lag = 0  # how many GETs of the config the workers need to catch up
    attempts_lag = 0  # how many GETs of the attempts before every worker has reported

    def _reply(self, status: int, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw.startswith((b"{", b"[")) else raw.decode() or None
        cls = type(self)
        cls.calls.append((method, self.path, body))
        if (method, self.path) in cls.failing:
            return self._reply(500, {"error": "broken on purpose"})
        kind, _, name = self.path.strip("/").partition("/")
        if kind in ("devices", "links"):
            table = cls.devices if kind == "devices" else cls.links
            if method == "GET":
                found = table.get(name)
                return self._reply(200, {"name": name, "config": found, "state": {}}) if found is not None \
                    else self._reply(404, {"error": f"no {kind} {name}"})
            if method == "POST":
                table[body["name"]] = {k: v for k, v in body.items() if k != "name"}
                return self._reply(201, {"name": body["name"]})
            if method == "PATCH":
                table[name] = {**table.get(name, {}), **body}
                return self._reply(200, {"name": name, "config": table[name]})
            if method == "DELETE":
                table.pop(name, None)
                return self._reply(204)
        if self.path == "/stormlab/config":
            generation = len([c for c in cls.calls if c[0] == "PUT"])
            gets_since = len([c for c in cls.calls if c[1] == "/stormlab/config"]) - 1
            applied = generation if gets_since >= cls.worker_generation_lag else generation - 1
            return self._reply(200, {"generation": generation, "config": {"clients": {"internal": {}}},
                                     "workers": {"w1": applied}})
        if self.path.startswith("/stormlab/attempts?"):
            polls = len([c for c in cls.calls if c[1].startswith("/stormlab/attempts?")])
            return self._reply(200, {"slot_seconds": 0.1, "complete": polls > cls.attempts_lag,
                                     "workers": {"w1": 0}, "slots": [[1.0, 2, 3]]})
        if self.path == "/stop":
            return self._reply(200, {})
        return self._reply(404, {"error": "unknown"})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def log_message(self, *args):
        pass


class FakeStack:
    project = "fake"

    def __init__(self, base: str):
        self.base = base
        self.service_calls = []

    def url(self, service: str, port: int):
        return None if service in ("grafana", "pushgateway") else self.base

    def call_service(self, service, method, path, body=None):
        self.service_calls.append((service, method, path, body))
        return [{"capacity": {"workers": 4}, "work": {}, "queue": {}, "mitigations": {}, "other": 1}]


@pytest.fixture
def lab():
    FakeComponents.calls, FakeComponents.failing = [], set()
    FakeComponents.devices = {"border": {"connections": {"new_per_second": 100}}}
    FakeComponents.links = {"dns": {"device": "border", "upstream": "dns:8080"}}
    FakeComponents.worker_generation_lag = 0
    FakeComponents.attempts_lag = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeComponents)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Lab(FakeStack(f"http://127.0.0.1:{server.server_address[1]}"))
    server.shutdown()
    server.server_close()


def changes(calls):
    return [(method, path) for method, path, _ in calls if method != "GET"]


def test_restore_undoes_every_change_links_before_devices(lab):
    lab.patch_device("dns-path", {"connections": {"new_per_second": 1000}})  # new: created
    lab.patch_device("border", {"connections": {"new_per_second": 50}})  # existing: remembered
    lab.patch_link("dns", {"device": "dns-path"})
    lab.patch_service("api", {"mitigations": {"admission_control": {"enabled": True}}})
    assert FakeComponents.devices["border"] == {"connections": {"new_per_second": 50}}
    FakeComponents.calls.clear()

    assert lab.restore() == []
    assert changes(FakeComponents.calls) == [
        ("PATCH", "/links/dns"),  # moved back before its device goes
        ("DELETE", "/devices/dns-path"),
        ("PATCH", "/devices/border"),
    ]
    assert FakeComponents.links["dns"]["device"] == "border"
    assert "dns-path" not in FakeComponents.devices
    assert FakeComponents.devices["border"] == {"connections": {"new_per_second": 100}}
    # the service gets back the settings it had, and only the restorable ones
    service, method, path, body = lab.stack.service_calls[-1]
    assert (service, method, path) == ("api", "PATCH", "/admin/config")
    assert body == {"capacity": {"workers": 4}, "work": {}, "queue": {}, "mitigations": {}}


def test_a_step_that_fails_is_reported_and_the_others_still_run(lab):
    lab.patch_link("dns", {"device": "other"})
    lab.patch_device("border", {"connections": {"new_per_second": 50}})
    FakeComponents.failing = {("PATCH", "/links/dns")}
    failures = lab.restore()
    assert len(failures) == 1 and failures[0].startswith("restore link dns:")
    assert "500" in failures[0]
    assert FakeComponents.devices["border"] == {"connections": {"new_per_second": 100}}  # still restored
    assert lab.restore() == []  # nothing left to undo the second time


def test_client_config_waits_until_every_worker_has_it(lab):
    FakeComponents.worker_generation_lag = 3  # the workers apply it after three polls
    lab.configure_clients({"clients": {"internal": {"policy": {"name": "naive"}}}}, seed=7)
    puts = [body for method, path, body in FakeComponents.calls if method == "PUT"]
    assert puts[-1]["seed"] == 7 and puts[-1]["clients"]["internal"]["policy"] == {"name": "naive"}
    polls = [c for c in FakeComponents.calls if c[:2] == ("GET", "/stormlab/config")]
    assert len(polls) >= 3


def test_client_config_that_no_worker_applies_is_a_clear_error(lab):
    FakeComponents.worker_generation_lag = 10**6
    with pytest.raises(StackError, match="did not apply config"):
        lab._put_client_config({"seed": 1}, timeout=0.5)


def test_a_top_level_client_setting_keeps_the_runs_patch(lab):
    lab.configure_clients({"arrivals": {"requests_per_second": 2}}, seed=3)
    lab.set_client_setting("fetch_on_start", True)
    last = [body for method, _, body in FakeComponents.calls if method == "PUT"][-1]
    assert last["fetch_on_start"] is True and last["arrivals"] == {"requests_per_second": 2} and last["seed"] == 3


def test_client_sends_wait_until_every_worker_has_reported_the_window(lab):
    FakeComponents.attempts_lag = 2
    answer = lab.client_sends(100.0, 112.5)
    assert answer["slots"] == [[1.0, 2, 3]]
    polls = [path for method, path, _ in FakeComponents.calls if path.startswith("/stormlab/attempts?")]
    assert len(polls) == 3 and "since=100.0" in polls[0] and "until=112.5" in polls[0]


def test_client_sends_never_complete_is_a_clear_error(lab):
    FakeComponents.attempts_lag = 10**6
    with pytest.raises(StackError, match="had not all reported"):
        lab.client_sends(100.0, 112.5, timeout=0.3)
