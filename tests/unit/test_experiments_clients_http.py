"""One component's JSON API over real HTTP: answers as JSON, and every failure a
ComponentError that says what was asked, what came back and what the component said."""

import socket

import pytest

from experiments.clients.http import JsonApi
from experiments.errors import BODY_CHARS, ComponentError, StackError, describe_body
from tests.unit.experiments_http_fake import FakeHttp


@pytest.fixture
def fake():
    with FakeHttp() as fake:
        yield fake


def test_an_answer_is_its_json_its_text_or_none(fake):
    fake.on("GET", "/json", (200, {"a": 1}))
    fake.on("GET", "/text", (200, b"plain words"))
    fake.on("DELETE", "/empty", (204, None))
    api = JsonApi(fake.url + "/")  # a trailing slash on the base is fine
    assert api.call("GET", "/json", params={"since": 1.5}) == {"a": 1}
    assert api.call("GET", "/text") == "plain words"
    assert api.call("DELETE", "/empty") is None
    assert fake.calls[0].query == {"since": "1.5"}


def test_a_refusal_names_the_call_the_status_and_every_problem(fake):
    fake.on("PATCH", "/devices/border", (400, {"error": "invalid device 'border'",
                                               "problems": ["a.b: expected a number", "c: unknown key"]}))
    with pytest.raises(ComponentError) as caught:
        JsonApi(fake.url).call("PATCH", "/devices/border", json={"a": {"b": "x"}})
    error = caught.value
    assert isinstance(error, StackError)  # whoever catches the stack's errors catches these
    assert (error.method, error.url, error.status) == ("PATCH", f"{fake.url}/devices/border", 400)
    assert error.body["problems"] == ["a.b: expected a number", "c: unknown key"]
    assert str(error) == (f"PATCH {fake.url}/devices/border answered 400: "
                          "invalid device 'border': a.b: expected a number; c: unknown key")
    assert fake.calls[0].body == {"a": {"b": "x"}}


def test_a_refusal_that_is_not_json_keeps_its_text(fake):
    fake.on("GET", "/broken", (502, b"<html>bad gateway</html>"))
    with pytest.raises(ComponentError, match=r"GET .*/broken answered 502: <html>bad gateway</html>$"):
        JsonApi(fake.url).call("GET", "/broken")


def test_an_absent_status_may_be_an_answer(fake):
    fake.on("GET", "/devices/nope", (404, {"error": "no device 'nope'"}))
    api = JsonApi(fake.url)
    assert api.call("GET", "/devices/nope", absent=(404,)) is None
    with pytest.raises(ComponentError, match="404: no device 'nope'"):
        api.call("GET", "/devices/nope")


def test_no_answer_at_all_is_a_component_error_without_a_status():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ComponentError) as caught:
        JsonApi(f"http://127.0.0.1:{port}", timeout=2).call("GET", "/stats/requests")
    assert caught.value.status is None
    assert str(caught.value).startswith(f"GET http://127.0.0.1:{port}/stats/requests got no answer: ConnectionError")


def test_a_long_body_is_cut_and_says_so():
    text = describe_body("x" * 2000)
    assert len(text) == BODY_CHARS and text.endswith("...")
    assert describe_body({"status": "error"}) == '{"status": "error"}'
    assert describe_body({"message": "invalid username or password"}) == "invalid username or password"
    assert describe_body("  ") == "(empty body)"
