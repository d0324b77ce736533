"""Every API's refusal of a body that is not a JSON object speaks JSON, the language the sender
wrote in: what it got ("an empty body", "a JSON array", "a string", "a number", "null",
"true") and what it expects, with an example; never Python's names for them (``list``,
``NoneType``, ``None``, ``True``). Over real sockets: the proxy's admin API, a service of
each role taking a body, and the loadgen's /stormlab/config."""

from __future__ import annotations

import re

import pytest
import requests

from tests.unit.experiments_live_components import loadgen_api, proxy_admin, service

JSON = {"Content-Type": "application/json"}
# (body sent, how the answer must name it)
BODIES = [(b"", "an empty body"), (b"  \n", "an empty body"), (b"[]", "a JSON array"), (b'[{"a": 1}]', "a JSON array"),
          (b'"x"', "a string"), (b"5", "a number"), (b"-2.5", "a number"), (b"null", "null"), (b"true", "true"),
          (b"false", "false")]
# Python's words for JSON's values and kinds; none may reach a sender
PYTHON_WORDS = re.compile(r"\b(NoneType|None|True|False|str|int|float|bool|list|dict|tuple|bytes)\b")
PROXY_CHANGES = [("PATCH", "/settings"), ("POST", "/devices"), ("PATCH", "/devices/border"), ("POST", "/links"),
                 ("PATCH", "/links/api")]
SERVICE_BODIES = [  # (role, method, path)
    ("control-plane", "PATCH", "/admin/config"), ("control-plane", "POST", "/v1/instances"),
    ("dns", "PUT", "/admin/membership/api"), ("monitoring-ingest", "POST", "/v1/metrics")]


def refusal(answer: requests.Response, named: str) -> dict:
    """The 400 a body that is not a JSON object gets: JSON, naming it in JSON's words only."""
    assert answer.status_code == 400, answer.text
    body = answer.json()
    text = " ".join([body["error"], *body.get("problems", []), str(body.get("expected", ""))])
    assert f"got {named}" in text, body
    assert not PYTHON_WORDS.search(answer.text), body
    assert "e.g. {" in text or "{\"" in str(body.get("expected")), f"no example of what is expected: {body}"
    return body


@pytest.fixture(scope="module")
def proxy():
    with proxy_admin({"api": {"upstream": "127.0.0.1:9"}}, {"border": {}}) as (url, topology):
        yield url, topology


@pytest.mark.parametrize(("method", "path"), PROXY_CHANGES)
@pytest.mark.parametrize(("raw", "named"), BODIES)
def test_the_proxy_admin_api_names_a_body_that_is_not_an_object_in_json_words(proxy, method, path, raw, named):
    url, topology = proxy
    before = (topology.get_settings(), topology.list_devices(), topology.list_links())
    body = refusal(requests.request(method, url + path, data=raw, headers=JSON, timeout=10), named)
    assert body["error"] == "request body refused (1 problem); nothing changed"
    assert (topology.get_settings(), topology.list_devices(), topology.list_links()) == before


def test_a_bad_field_is_the_change_refused_not_the_device_invalid(proxy):
    url, _ = proxy
    answer = requests.patch(f"{url}/devices/border", json={"connections": {"new_per_second": True},
                                                            "downstream": {"bytes_per_second": None, "x": 1}},
                            timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": "change to device 'border' refused (2 problems); nothing changed", "problems": [
        "connections.new_per_second: expected a number or null, got true",
        "downstream.x: unknown key; expected one of: buffer_bytes, burst_bytes, bytes_per_second"]}


@pytest.fixture(scope="module", params=sorted({role for role, _, _ in SERVICE_BODIES}))
def replica(request):
    raw = {"name": "svc", "role": request.param, "replica": "r1"}
    if request.param == "dns":
        raw["membership"] = {"services": ["api"]}
    with service(raw) as url:
        yield request.param, url


@pytest.mark.parametrize(("raw", "named"), BODIES)
def test_every_service_body_endpoint_names_a_body_that_is_not_an_object_in_json_words(replica, raw, named):
    role, url = replica
    for method, path in [(m, p) for r, m, p in SERVICE_BODIES if r == role]:
        settings = requests.get(f"{url}/admin/config", timeout=10).json()
        body = refusal(requests.request(method, url + path, data=raw, headers=JSON, timeout=10), named)
        assert body["error"] == f"expected a JSON object, got {named}; nothing changed"
        assert requests.get(f"{url}/admin/config", timeout=10).json() == settings


@pytest.fixture(scope="module")
def loadgen():
    with loadgen_api(applied=True) as served:
        yield served


@pytest.mark.parametrize(("raw", "named"), BODIES)
def test_the_loadgen_config_api_names_a_body_that_is_not_an_object_in_json_words(loadgen, raw, named):
    url, live = loadgen
    generation = live.generation
    body = refusal(requests.put(f"{url}/stormlab/config", data=raw, headers=JSON, timeout=10), named)
    assert body["error"] == ('expected a JSON object (an RFC 7386 merge patch), e.g. {"arrivals": '
                             f'{{"requests_per_second": 2}}}}, got {named}; nothing changed')
    assert live.generation == generation


def test_a_nested_value_is_quoted_as_json_spells_it(loadgen, proxy):
    url, _ = loadgen
    answer = requests.put(f"{url}/stormlab/config", json={"fetch_on_start": None, "seed": True}, timeout=10)
    assert answer.status_code == 400 and not PYTHON_WORDS.search(answer.text), answer.text
    assert "seed: expected an integer or null, got true" in answer.json()["problems"]
