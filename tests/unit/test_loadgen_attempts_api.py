"""GET /stormlab/attempts on a bare Flask app (locust's web UI is one), over a timeline on a fake
wall clock and a fake list of what each worker has shipped."""

import functools

import pytest
from flask import Flask

from loadgen import attempts_api
from loadgen.attempt_timeline import AttemptTimeline

NOW = 1000.05  # in the slot 1000.0-1000.1
EXPECTED = ("expected ?since=<unix seconds>&until=<unix seconds>, since before until, at most 600 s apart, "
            "within the last 600 s")


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def api(workers=None, protect=None):
    clock = Clock(NOW)
    timeline = AttemptTimeline(clock)
    shipped = {"w1": 1000.0} if workers is None else workers
    app = Flask("test")
    extra = {} if protect is None else {"protect": protect}
    attempts_api.add_routes(app, timeline, lambda: dict(shipped), **extra)
    return app.test_client(), timeline, clock, shipped


def test_a_window_has_every_slot_with_its_first_tries_and_retries():
    client, timeline, clock, _ = api()
    clock.now = 999.85
    timeline.record(1)
    timeline.record(2)
    clock.now = 999.95
    timeline.record(3)
    timeline.record(1)
    clock.now = NOW
    answer = client.get("/stormlab/attempts?since=999.8&until=1000")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "slot_seconds": 0.1, "since": 999.8, "until": 1000.0, "complete": True, "workers": {"w1": 1000.0},
        "slots": [[999.8, 1, 1], [999.9, 1, 1]]}


def test_a_window_is_complete_once_every_connected_worker_has_shipped_past_its_end():
    def complete(workers, until="1000"):
        client = api(workers)[0]
        return client.get(f"/stormlab/attempts?since=999&until={until}").get_json()["complete"]

    assert complete({"w1": 1000.0, "w2": 1000.5})
    assert not complete({"w1": 1000.0, "w2": 999.9})  # w2 still holds 999.9-1000.0
    assert not complete({"w1": 1000.0, "w2": None})  # w2 has not reported yet
    assert not complete({"w1": 1000.0}, until="1000.01")  # 1000.0-1000.1 touches the window
    assert complete({"local": 1000.0}, until="999.95")
    assert complete({})  # no worker connected: nothing more will come


def test_a_window_in_the_future_answers_zeros_and_is_not_complete():
    client = api()[0]
    body = client.get("/stormlab/attempts?since=1000.0&until=1000.3").get_json()
    assert body["slots"] == [[1000.0, 0, 0], [1000.1, 0, 0], [1000.2, 0, 0]] and not body["complete"]


def test_the_oldest_window_kept_is_accepted():
    client = api()[0]
    answer = client.get(f"/stormlab/attempts?since={NOW - 600}&until={NOW}")
    assert answer.status_code == 200
    assert len(answer.get_json()["slots"]) == 6001  # 400.0 to 1000.0, the current slot included


@pytest.mark.parametrize(("query", "status", "problems"), [
    ("", 400, ["since: missing; expected a time in unix seconds, e.g. since=1700000000.5",
               "until: missing; expected a time in unix seconds, e.g. until=1700000000.5"]),
    ("?until=1000", 400, ["since: missing; expected a time in unix seconds, e.g. since=1700000000.5"]),
    ("?since=999&until=", 400, ["until: expected a number (unix seconds), got ''"]),
    ("?since=yesterday&until=1000", 400, ["since: expected a number (unix seconds), got 'yesterday'"]),
    ("?since=nan&until=1000", 400, ["since: expected a finite number (unix seconds), got 'nan'"]),
    ("?since=999&until=inf", 400, ["until: expected a finite number (unix seconds), got 'inf'"]),
    # a well-formed number that no float holds: no window this API answers
    ("?since=-inf&until=1e999", 400, ["since: expected a finite number (unix seconds), got '-inf'",
                                      "until: expected a finite number (unix seconds), got '1e999'"]),
    ("?since=999&until=1e999", 422, ["until: expected a finite number (unix seconds), got '1e999'"]),
    ("?since=1000&until=999.5", 422, ["until: expected a time after since (1000.0), got 999.5"]),
    ("?since=1000&until=1000", 422, ["until: expected a time after since (1000.0), got 1000.0"]),
    ("?since=400.1&until=1000.2", 422, ["until: expected at most 600 s after since, got 600.1 s (ask for the window in parts)"]),
    # a window that was answerable once, and is no longer kept: a conflict with the state
    ("?since=399.9&until=400.5", 409, ["since: expected 400.0 or later (slots are kept for 600 s), got 399.9"]),
    ("?since=0&until=1000", 422, ["until: expected at most 600 s after since, got 1000 s (ask for the window in parts)",
                                  "since: expected 400.0 or later (slots are kept for 600 s), got 0.0"]),
])
def test_a_bad_query_is_refused_with_what_is_wrong_and_what_is_expected(query, status, problems):
    client = api()[0]
    answer = client.get(f"/stormlab/attempts{query}")
    assert answer.status_code == status
    count = len(problems)
    assert answer.get_json() == {
        "error": f"invalid attempts query ({count} problem{'s' * (count != 1)}); {EXPECTED}", "problems": problems}


def test_the_route_is_behind_locusts_login_when_it_has_one():
    def protect(view):
        @functools.wraps(view)
        def refuse(*args, **kwargs):
            return {"error": "login required"}, 401
        return refuse

    client = api(protect=protect)[0]
    assert client.get("/stormlab/attempts?since=999&until=1000").status_code == 401
