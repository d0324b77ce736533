"""The /stormlab/ API's OpenAPI document describes what the routes do: the same paths and
methods, the contract's schemas, and answers that fit it (the fuzzing itself is schemathesis',
docs/clients.md "Fuzzing the API")."""

import time

import jsonschema
from flask import Flask

from loadgen import attempts_api, control_api, http_guard, openapi, workers_api
from loadgen.attempt_timeline import AttemptTimeline
from loadgen.config import load_base
from loadgen.live_config import LiveConfig
from loadgen.worker_registry import WorkerRegistry
from stormlab_common.contracts.loadgen import LoadgenConfig
from stormlab_common.contracts.loadgen_patch import config_patch_schema
from stormlab_common.model import schema_of

DOCUMENT = openapi.openapi_document()


def app():
    live = LiveConfig(load_base(env={}))
    flask = Flask("test")
    control_api.add_routes(flask, live, lambda: None, lambda: {"w1": live.generation})
    attempts_api.add_routes(flask, AttemptTimeline(time.time), lambda: {"w1": None})
    registry = WorkerRegistry(time.time)
    registry.heard("w1", "10.0.0.2:9646")
    workers_api.add_routes(flask, registry, lambda: ["w1", "w2"])
    openapi.add_routes(flask)
    http_guard.install(flask, lambda: DOCUMENT["paths"])
    return flask


def fits(body, name):
    """``body`` is valid against ``#/components/schemas/<name>`` of the document."""
    schema = {**DOCUMENT, "$ref": f"#/components/schemas/{name}"}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(body))
    assert errors == [], [e.message for e in errors]


def test_it_describes_exactly_the_stormlab_routes():
    flask = app()
    served = {(rule.rule, method.lower()) for rule in flask.url_map.iter_rules()
              if rule.rule.startswith("/stormlab/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item}
    assert served == described == {("/stormlab/config", "get"), ("/stormlab/config", "put"),
                                   ("/stormlab/attempts", "get"), ("/stormlab/openapi.json", "get"),
                                   ("/stormlab/workers", "get"), ("/stormlab/workers/http-sd", "get")}
    assert DOCUMENT["openapi"].startswith("3.1")


def test_its_schemas_are_the_contracts():
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["LoadgenConfig"] == schema_of(LoadgenConfig)
    assert schemas["ConfigPatch"] == config_patch_schema()
    put = DOCUMENT["paths"]["/stormlab/config"]["put"]
    assert set(put["requestBody"]["content"]) == {"application/json", "application/merge-patch+json"}
    assert set(put["responses"]) == {"200", "400", "409", "413", "415"}
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_the_answers_fit_the_document():
    client = app().test_client()
    served = client.get("/stormlab/openapi.json")
    assert served.status_code == 200 and served.get_json() == DOCUMENT
    fits(client.get("/stormlab/config").get_json(), "ConfigState")
    answer = client.put("/stormlab/config", json={"clients": {"default": {"policy": {"name": "adaptive"}}}})
    fits(answer.get_json(), "ConfigState")
    for body in ({"seed": "x"}, {"workload": {"w": {"target": "nowhere", "path": "/"}}}):
        answer = client.put("/stormlab/config", json=body)
        assert str(answer.status_code) in DOCUMENT["paths"]["/stormlab/config"]["put"]["responses"]
        fits(answer.get_json(), "Error")
    now = time.time()
    fits(client.get(f"/stormlab/attempts?since={now - 2}&until={now - 1}").get_json(), "Attempts")
    fits(client.get("/stormlab/attempts?since=1&until=0").get_json(), "Error")
    fits(client.get("/stormlab/workers").get_json(), "Workers")
    fits(client.get("/stormlab/workers/http-sd").get_json(), "HttpSd")


def test_a_patch_the_document_allows_is_never_refused_as_malformed():
    client = app().test_client()
    examples = [{}, {"seed": None}, {"clients": {"default": {"weight": 2}}},
                {"clients": {"default": {"policy": {"max_attempts": 4, "k": None}}}},
                {"targets": {"b": {"url": "http://b:1"}}, "workload": {"work": None}}]
    validator = jsonschema.Draft202012Validator(config_patch_schema())
    for patch in examples:
        assert validator.is_valid(patch), patch
        assert client.put("/stormlab/config", json=patch).status_code in (200, 409), patch
