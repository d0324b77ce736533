"""Timeline events as Grafana annotations, posted as the admin; each reason not to post,
or to stop posting, is one clear note."""

import base64
from dataclasses import replace
from types import SimpleNamespace

import pytest

from experiments import annotations
from experiments.run_record import ExecutedEvent
from tests.unit.experiments_http_fake import FakeHttp
from tests.unit.experiments_support import partial_run

RECORD = replace(partial_run(), timeline=(
    ExecutedEvent("scaling activity", "trigger", 30.0, 30.25, 1000.25, "surge", "clients x4"),
    ExecutedEvent("end", "end", 40.0, 40.0, 1010.0, "stop_clients", "clients stopped"),
))


@pytest.fixture
def grafana(monkeypatch):
    monkeypatch.setenv("STORMLAB_GRAFANA_ADMIN_PASSWORD", "s3cret")
    with FakeHttp() as fake:
        yield fake


def test_every_event_is_posted_as_the_admin(grafana):
    grafana.on("POST", "/api/annotations", (200, {"id": 1, "message": "Annotation added"}))
    note = annotations.post(SimpleNamespace(grafana=grafana.url), RECORD, 1000.0)
    assert note == "Grafana: 2 annotations posted"
    first = grafana.calls[0]
    assert first.body == {"time": 1000250, "tags": ["stormlab", "retry-storm", "trigger"],
                          "text": "retry-storm: scaling activity: clients x4"}
    assert first.auth == "Basic " + base64.b64encode(b"admin:s3cret").decode()


def test_a_refusal_stops_the_posting_and_says_why(grafana):
    grafana.on("POST", "/api/annotations", (401, {"message": "invalid username or password"}))
    note = annotations.post(SimpleNamespace(grafana=grafana.url), RECORD, 1000.0)
    assert note.startswith("Grafana annotations stopped after 0: POST ")
    assert note.endswith("/api/annotations answered 401: invalid username or password")
    assert len(grafana.calls) == 1


def test_no_grafana_no_password_or_no_timeline_is_a_note(monkeypatch):
    assert "Grafana is not running" in annotations.post(SimpleNamespace(grafana=None), RECORD, 1000.0)
    monkeypatch.delenv("STORMLAB_GRAFANA_ADMIN_PASSWORD", raising=False)
    assert "set STORMLAB_GRAFANA_ADMIN_PASSWORD" in annotations.post(SimpleNamespace(grafana="http://x"), RECORD, 1.0)
    monkeypatch.setenv("STORMLAB_GRAFANA_ADMIN_PASSWORD", "s3cret")
    assert "the timeline never started" in annotations.post(SimpleNamespace(grafana="http://x"), RECORD, None)
