"""GET /stormlab/workers and its Prometheus HTTP SD document on a bare Flask app (locust's web
UI is one), over a registry on a fake wall clock and a fake list of connected workers."""

import jsonschema
from flask import Flask

from loadgen import openapi, workers_api
from loadgen.worker_registry import WorkerRegistry

DOCUMENT = openapi.openapi_document()


def api(connected, protect=None):
    registry = WorkerRegistry(lambda: 1700000000.5)
    app = Flask("test")
    extra = {} if protect is None else {"protect": protect}
    workers_api.add_routes(app, registry, lambda: list(connected), **extra)
    return app.test_client(), registry


def fits(body, name):
    errors = list(jsonschema.Draft202012Validator({**DOCUMENT, "$ref": f"#/components/schemas/{name}"})
                  .iter_errors(body))
    assert errors == [], [e.message for e in errors]


def test_the_workers_with_their_addresses_and_last_announcements():
    client, registry = api(["in-stack", "remote", "new"])
    registry.heard("in-stack", None)
    registry.heard("remote", "192.168.1.31:9646")
    answer = client.get("/stormlab/workers")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.get_json() == {"count": 3, "workers": [
        {"id": "in-stack", "metrics": None, "last_seen": 1700000000.5},
        {"id": "remote", "metrics": "192.168.1.31:9646", "last_seen": 1700000000.5},
        {"id": "new", "metrics": None, "last_seen": None}]}
    fits(answer.get_json(), "Workers")


def test_the_http_sd_document_lists_the_advertised_addresses_only():
    client, registry = api(["in-stack", "a", "b"])
    registry.heard("in-stack", None)  # found by DNS: never in the document, never scraped twice
    registry.heard("a", "192.168.1.31:9646")
    registry.heard("b", "192.168.1.31:9647")
    answer = client.get("/stormlab/workers/http-sd")
    assert answer.status_code == 200 and answer.mimetype == "application/json"  # what Prometheus requires
    assert answer.get_json() == [
        {"targets": ["192.168.1.31:9646"], "labels": {"__meta_stormlab_worker_id": "a"}},
        {"targets": ["192.168.1.31:9647"], "labels": {"__meta_stormlab_worker_id": "b"}}]
    fits(answer.get_json(), "HttpSd")


def test_with_no_advertised_address_the_document_is_an_empty_list():
    client, registry = api(["in-stack"])
    registry.heard("in-stack", None)
    assert client.get("/stormlab/workers/http-sd").get_json() == []
    assert api([])[0].get("/stormlab/workers/http-sd").get_json() == []  # no worker connected at all


def test_two_workers_advertising_one_address_are_scraped_once():
    client, registry = api(["a", "b"])
    registry.heard("a", "10.0.0.2:9646")
    registry.heard("b", "10.0.0.2:9646")
    assert [group["targets"] for group in client.get("/stormlab/workers/http-sd").get_json()] == [["10.0.0.2:9646"]]


def test_a_worker_gone_leaves_both_answers():
    connected = ["a", "b"]
    client, registry = api(connected)
    registry.heard("a", "10.0.0.2:9646")
    registry.heard("b", "10.0.0.3:9646")
    connected.remove("a")
    assert client.get("/stormlab/workers").get_json()["count"] == 1
    assert client.get("/stormlab/workers/http-sd").get_json()[0]["targets"] == ["10.0.0.3:9646"]


def test_both_routes_are_as_protected_as_locusts_ui():
    def login_required(view):
        def refused(*args, **kwargs):
            return {"error": "login required"}, 401

        refused.__name__ = view.__name__
        return refused

    client, _ = api(["a"], protect=login_required)
    assert client.get("/stormlab/workers").status_code == 401
    assert client.get("/stormlab/workers/http-sd").status_code == 401
