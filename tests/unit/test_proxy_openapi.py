"""The admin API's document says what the proxy does: its request schemas are the contract's,
its exact link schema refuses what the contract's checks refuse, and the answers fit it."""

import copy

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.admin import make_admin_app
from proxy.openapi import openapi_document
from proxy.openapi_schemas import exact_link_schema
from stormlab_common.contracts.proxy import Device, Link, NewLink, Settings
from stormlab_common.model import patch_schema_of, problems_of, schema_of
from tests.unit.proxy_support import running_proxy

DOCUMENT = openapi_document()
SCHEMAS = DOCUMENT["components"]["schemas"]


def inlined(schema):
    """``schema`` with every ``#/components/schemas/...`` reference replaced by its target."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return inlined({**SCHEMAS[schema["$ref"].rsplit("/", 1)[1]],
                            **{k: v for k, v in schema.items() if k != "$ref"}})
        return {key: inlined(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [inlined(item) for item in schema]
    return schema


def test_the_bodies_taken_are_the_contracts():
    assert SCHEMAS["Settings"] == schema_of(Settings) and SCHEMAS["SettingsPatch"] == patch_schema_of(Settings)
    assert SCHEMAS["Device"] == schema_of(Device) and SCHEMAS["DevicePatch"] == patch_schema_of(Device)
    assert SCHEMAS["LinkPatch"] == patch_schema_of(Link)
    patch = DOCUMENT["paths"]["/devices/{name}"]["patch"]["requestBody"]["content"]
    assert set(patch) == {"application/merge-patch+json", "application/json"}
    assert set(DOCUMENT["paths"]["/links"]["post"]["requestBody"]["content"]) == {"application/json"}
    for schema in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(inlined(schema))


def test_every_operation_lists_what_it_can_answer():
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            statuses = set(operation["responses"])
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= statuses, (method, path)
            if "{name}" in path:
                assert "404" in statuses, (method, path)
    assert set(DOCUMENT["paths"]["/devices/{name}"]["patch"]["responses"]) == {"200", "400", "404", "409",
                                                                              "413", "415"}


async def test_the_answers_fit_the_document(aiohttp_client):
    async with running_proxy({"api": {"upstream": "127.0.0.1:9", "protocol": "http",
                                      "faults": {"shed": {"type": "http_error", "probability": 0.1}}}},
                             {"border": {"downstream": {"bytes_per_second": 1e6}}}) as (topology, registry):
        client = await aiohttp_client(make_admin_app(topology, registry))
        for path, method, body in [("/settings", "get", None), ("/health", "get", None),
                                   ("/devices", "get", None), ("/devices/border", "get", None),
                                   ("/links/api", "get", None), ("/links", "get", None),
                                   ("/devices", "post", {"name": "side"}),
                                   ("/links", "post", {"name": "extra", "listen_port": 0, "upstream": "a:1"}),
                                   ("/links/api", "patch", {"device": "nowhere"}),
                                   ("/devices/nope", "patch", {})]:
            response = await client.request(method.upper(), path, json=body)
            template = path if path.count("/") == 1 else path.rsplit("/", 1)[0] + "/{name}"
            documented = DOCUMENT["paths"][template][method]["responses"][str(response.status)]
            schema = inlined(documented["content"]["application/json"]["schema"])
            jsonschema.validate(await response.json(), schema, cls=jsonschema.Draft202012Validator)


_probability = st.sampled_from([0, 0.5, 1, 2])
_fault = st.one_of(
    st.fixed_dictionaries({"type": st.just("latency"), "latency_seconds": st.sampled_from([0, 0.1, -1])}),
    st.fixed_dictionaries({"type": st.just("reset"), "probability": _probability},
                          optional={"on": st.sampled_from(["connect", "request", "never"])}),
    st.fixed_dictionaries({"type": st.just("http_error"), "probability": _probability},
                          optional={"status": st.sampled_from([503, 429, 200])}),
    st.fixed_dictionaries({"type": st.sampled_from(["teleport", "latency"])}))
_link = st.fixed_dictionaries({  # mostly well formed, so the rules of Link.check get their turn
    "name": st.sampled_from(["extra", "extra", "extra", "Bad"]),
    "listen_port": st.sampled_from([0, 8081, 8081, 70000]),
    "upstream": st.builds("{}:{}".format, st.sampled_from(["api", "10.0.0.1", "api", "a b"]),
                          st.sampled_from(["0", "1", "80", "08", "65535", "65536", "99999", "123456"]))},
    optional={"protocol": st.sampled_from(["tcp", "http"]), "device": st.sampled_from(["border", "side", "Side"]),
              "faults": st.dictionaries(st.sampled_from(["a", "b"]), _fault, max_size=2)})


@settings(max_examples=400, deadline=None)
@given(_link)
def test_the_exact_link_schema_takes_what_parse_takes(data):
    unnamed = {key: value for key, value in data.items() if key != "name"}
    for cls, body in ((Link, unnamed), (NewLink, data)):
        exact = jsonschema.Draft202012Validator(exact_link_schema(cls))
        assert exact.is_valid(body) == (problems_of(cls, body) == []), (cls, body, problems_of(cls, body))


@pytest.mark.parametrize("data", [{"listen_port": 0, "upstream": "api:8080"},
                                  {"listen_port": 0, "upstream": "api:8080", "protocol": "http",
                                   "faults": {"rst": {"type": "reset", "probability": 1, "on": "request"}}}])
def test_the_exact_link_schema_keeps_the_defaults_and_descriptions(data):
    exact = exact_link_schema(Link)
    assert jsonschema.Draft202012Validator(exact).is_valid(copy.deepcopy(data))
    tcp, http = exact["anyOf"]
    assert tcp["properties"]["protocol"]["default"] == "tcp" and "protocol" in http["required"]
    assert tcp["properties"]["listen_port"] == schema_of(Link)["properties"]["listen_port"]
