"""What the /stormlab/ API answers a request it cannot take, on a bare Flask app with the real
routes (locust's web UI is a Flask app): JSON errors saying what is expected, nothing changed."""

import io

import pytest
from flask import Flask

from loadgen import control_api, http_guard, openapi
from loadgen.config import load_base
from loadgen.http_guard import MAX_BODY_BYTES, MAX_DEPTH
from loadgen.live_config import LiveConfig

PATHS = ["/stormlab/attempts", "/stormlab/config", "/stormlab/openapi.json"]


def api():
    live = LiveConfig(load_base(env={}))
    published = []
    app = Flask("test")
    control_api.add_routes(app, live, lambda: published.append(live.message()), dict)
    openapi.add_routes(app)
    app.add_url_rule("/stormlab/attempts", "attempts", lambda: {}, methods=["GET"])

    @app.route("/stormlab/broken")
    @http_guard.json_view
    def broken():
        raise RuntimeError("a bug")

    @app.route("/elsewhere", methods=["GET"])
    def elsewhere():
        return "locust's own"

    http_guard.install(app, lambda: PATHS)
    return app.test_client(), live, published


def refused(answer, status):
    assert answer.status_code == status, answer.data[:300]
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) == {"error", "problems"} and body["error"]
    return body


def test_an_unknown_path_under_stormlab_is_a_json_404_naming_the_paths_there_are():
    client, _, _ = api()
    for path in ("/stormlab/nope", "/stormlab", "/stormlab/config/", "/stormlab/config/x"):
        body = refused(client.get(path), 404)
        assert body["error"] == f"no such path: {path}; expected one of: {', '.join(PATHS)}"


def test_locusts_own_routes_are_left_as_locust_answers_them():
    client, _, _ = api()
    assert client.get("/elsewhere").data == b"locust's own"
    assert client.get("/nowhere").status_code == 404  # Flask's own page, not ours
    assert client.post("/elsewhere").status_code == 405


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH"])
def test_an_unknown_method_is_a_json_405_with_allow_and_changes_nothing(method):
    client, live, published = api()
    answer = client.open("/stormlab/config", method=method, json={"seed": 1})
    body = refused(answer, 405)
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    assert body["error"] == f"{method} is not allowed on /stormlab/config; expected one of: GET, HEAD, OPTIONS, PUT"
    assert refused(client.put("/stormlab/openapi.json"), 405)
    assert live.generation == 0 and published == []


def test_options_lists_the_methods_a_path_takes():
    client, _, _ = api()
    assert set(client.options("/stormlab/config").headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}


def test_a_body_over_the_limit_is_a_413_whether_or_not_its_length_is_announced():
    client, live, _ = api()
    big = b'{"seed": 1, "x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    body = refused(client.put("/stormlab/config", data=big, content_type="application/json"), 413)
    assert str(MAX_BODY_BYTES) in body["error"]
    # chunked: no Content-Length, the limit is found while reading
    answer = client.put("/stormlab/config", input_stream=io.BytesIO(big), content_type="application/json",
                        environ_overrides={"wsgi.input_terminated": True})
    refused(answer, 413)
    assert live.generation == 0


def test_a_body_at_the_limit_is_read():
    client, _, _ = api()
    padding = MAX_BODY_BYTES - len('{"seed": 1, "workload": {"work": {"body_json": {"x": ""}}}}')
    text = '{"seed": 1, "workload": {"work": {"body_json": {"x": "' + "a" * padding + '"}}}}'
    assert len(text) == MAX_BODY_BYTES
    assert client.put("/stormlab/config", data=text, content_type="application/json").status_code == 200


@pytest.mark.parametrize(("data", "error"), [
    (b'{"seed": "\xff"}', "the body is not UTF-8: send a JSON object (an RFC 7386 merge patch)"),
    (b"seed: 3", "the body is not JSON: send a JSON object (a merge patch)"),
    (b" ", "expected a JSON object (an RFC 7386 merge patch), e.g. {\"arrivals\": {\"requests_per_second\": 2}}, "
           "got an empty body; nothing changed"),
    (b'{"arrivals": {"requests_per_second": NaN}}', "the body is not JSON: send a JSON object (a merge patch)"),
    (b'{"arrivals": {"requests_per_second": 1e400}}', "the body is not JSON: send a JSON object (a merge patch)"),
    (b"[" * 100000, "the body is not JSON: send a JSON object (a merge patch)"),
    (b'{"workload": {"work": {"body_json": {"a": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}}}}",
     f"the body is nested too deep: expected at most {MAX_DEPTH} levels"),
])
def test_a_body_that_is_not_utf8_json_is_a_400_and_changes_nothing(data, error):
    client, live, published = api()
    body = refused(client.put("/stormlab/config", data=data, content_type="application/json"), 400)
    assert body["error"] == error
    assert live.generation == 0 and published == []


def test_a_failing_view_answers_json_not_a_traceback():
    client, _, _ = api()
    # what broke (its type, its traceback) is for the log; the sender is told what happened
    assert refused(client.get("/stormlab/broken"), 500)["error"] == (
        "internal error in the load generator; nothing changed (its log has the details)")
