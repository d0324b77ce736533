"""GET and PUT /stormlab/config on a bare Flask app (locust's web UI is one); the real master and
worker are driven through it in test_loadgen_locustfile.py."""

import functools

from flask import Flask

from loadgen import control_api
from loadgen.config import load_base
from loadgen.live_config import LiveConfig
from stormlab_common.model import dump


def api(protect=None):
    live = LiveConfig(load_base(env={}))
    published, applied = [], {"w1": 0}

    def publish():
        published.append(live.message())
        applied["w1"] = live.generation  # as a worker acknowledging at once

    app = Flask("test")
    extra = {} if protect is None else {"protect": protect}
    control_api.add_routes(app, live, publish, lambda: dict(applied), **extra)
    return app.test_client(), live, published


def test_get_tells_the_generation_patch_effective_config_and_workers():
    client, live, _ = api()
    answer = client.get("/stormlab/config")
    assert answer.status_code == 200
    assert answer.get_json() == {"generation": 0, "patch": {}, "config": dump(live.base_config),
                                 "workers": {"w1": 0}}
    assert answer.get_json()["config"]["clients"]["default"]["policy"] == {"name": "none"}


def test_put_applies_a_merge_patch_and_sends_it_to_the_workers():
    client, _, published = api()
    patch = {"clients": {"default": {"policy": {"name": "full-jitter", "max_attempts": 4}}}}
    answer = client.put("/stormlab/config", json=patch)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["generation"], body["patch"], body["workers"]) == (1, patch, {"w1": 1})
    assert body["config"]["clients"]["default"]["policy"] == {  # every default filled in
        "name": "full-jitter", "max_attempts": 4, "base_seconds": 0.1, "cap_seconds": 10.0}
    assert body["config"]["clients"]["default"]["deadline_seconds"] == 5.0
    assert published == [{"generation": 1, "patch": patch}]
    assert client.get("/stormlab/config").get_json() == body


def test_json_or_a_merge_patch_or_no_content_type_will_do():
    client, live, _ = api()
    for kind in ("application/json", "application/merge-patch+json", "application/json; charset=utf-8", None):
        answer = client.put("/stormlab/config", data='{"seed": 3}', content_type=kind)
        assert answer.status_code == 200 and answer.get_json()["config"]["seed"] == 3, kind
    assert live.generation == 4


def test_another_content_type_is_refused_naming_those_taken():
    client, live, published = api()  # curl -d sends application/x-www-form-urlencoded unless told
    for kind in ("application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin-1"):
        answer = client.put("/stormlab/config", data='{"seed": 3}', content_type=kind)
        assert answer.status_code == 415, kind
        assert "application/json or application/merge-patch+json" in answer.get_json()["error"]
    assert published == [] and live.generation == 0


def test_a_bad_patch_is_refused_with_every_problem_and_nothing_is_sent():
    client, live, published = api()
    answer = client.put("/stormlab/config", json={"clients": {"sdk": {"policy": {"name": "full-jitter", "max_attempts": 0}}}})
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "invalid configuration patch (1 problem); nothing changed",
        "problems": ["clients.sdk.policy.max_attempts: expected a number >= 1, got 0"]}
    answer = client.put("/stormlab/config", json={"clients": {"sdk": {"policy": {"name": "fixed", "max_attempts": 0}},
                                                               "other": {"policy": {"name": "warp-drive"}}}})
    assert answer.get_json() == {  # every problem at once
        "error": "invalid configuration patch (2 problems); nothing changed",
        "problems": ["clients.other.policy.name: expected one of 'none', 'naive', 'fixed', 'exponential', "
                     "'full-jitter', 'equal-jitter', 'decorrelated-jitter', 'retry-budget', 'circuit-breaker', "
                     "'adaptive', got 'warp-drive'",
                     "clients.sdk.policy.max_attempts: expected a number >= 1, got 0"]}
    assert published == [] and live.generation == 0


def test_a_well_formed_patch_that_conflicts_with_the_base_is_a_409():
    client, live, published = api()
    answer = client.put("/stormlab/config", json={"workload": {"w": {"target": "nowhere", "path": "/x"}}})
    assert answer.status_code == 409
    assert answer.get_json() == {
        "error": "the configuration patch conflicts with the base config or with what locust read at start "
                 "(1 problem); nothing changed",
        "problems": ["workload.w.target: unknown target 'nowhere'; targets: api"]}
    assert published == [] and live.generation == 0


def test_a_body_that_is_not_a_json_object_is_refused():
    client, _, published = api()
    answer = client.put("/stormlab/config", data="seed: 3")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "the body is not JSON: send a JSON object (a merge patch)"
    for body in ("", "[1, 2]", "null"):
        answer = client.put("/stormlab/config", data=body)
        assert answer.status_code == 400, body
    assert answer.get_json()["problems"] == ["(top level): expected a JSON object (a merge patch), got null"]
    assert published == []


def test_a_key_read_at_start_is_refused_with_the_reason():
    client, _, _ = api()
    answer = client.put("/stormlab/config", json={"metrics_port": 9999})
    assert answer.status_code == 409
    assert answer.get_json()["problems"] == [
        "metrics_port: cannot change while locust runs (the metrics server is bound at start); restart locust with it in its config"]


def test_the_routes_are_behind_locusts_login_when_it_has_one():
    def protect(view):
        @functools.wraps(view)
        def refuse(*args, **kwargs):
            return {"error": "login required"}, 401
        return refuse

    client, live, _ = api(protect)
    assert client.get("/stormlab/config").status_code == 401
    assert client.put("/stormlab/config", json={"seed": 1}).status_code == 401
    assert live.generation == 0
