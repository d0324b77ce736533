"""Prometheus's query API as the runner reads it, against a fake answering as Prometheus does."""

import pytest

from experiments.clients.prometheus import PrometheusClient
from experiments.errors import ComponentError
from tests.unit.experiments_http_fake import FakeHttp


@pytest.fixture
def fake():
    with FakeHttp() as fake:
        yield fake


def vector(*values):
    return 200, {"status": "success", "data": {"resultType": "vector",
                                               "result": [{"metric": {}, "value": [1.0, v]} for v in values]}}


def test_an_instant_value_or_none_without_series(fake):
    fake.on("GET", "/api/v1/query", lambda call: vector("42.5") if "up" in call.query["query"] else vector())
    client = PrometheusClient(fake.url)
    assert client.query("sum(up)") == 42.5
    assert client.query("sum(nothing)") is None
    assert fake.calls[0].query == {"query": "sum(up)"}


def test_a_range_is_every_series_asked_over_its_window(fake):
    series = [{"metric": {"link": "dns"}, "values": [[100.0, "1"], [101.0, "2"]]}]
    fake.on("GET", "/api/v1/query_range", (200, {"status": "success", "data": {"result": series}}))
    assert PrometheusClient(fake.url).query_range("rate(x[6s])", 100.0, 160.0, step=0.5) == series
    assert fake.calls[0].query == {"query": "rate(x[6s])", "start": "100.0", "end": "160.0", "step": "0.5"}


def test_the_alerting_rules_loaded_are_asked_for_alone(fake):
    groups = {"groups": [{"name": "stormlab", "rules": [{"name": "RetryAmplificationAbove2", "type": "alerting"}]}]}
    fake.on("GET", "/api/v1/rules", (200, {"status": "success", "data": groups}))
    assert PrometheusClient(fake.url).rules() == groups
    assert fake.calls[0].query == {"type": "alert"}


def test_a_bad_query_says_what_prometheus_said(fake):
    fake.on("GET", "/api/v1/query", (400, {"status": "error", "errorType": "bad_data",
                                           "error": "1:5: parse error: unexpected right parenthesis ')'"}))
    with pytest.raises(ComponentError, match=r"answered 400: 1:5: parse error: unexpected right parenthesis"):
        PrometheusClient(fake.url).query("sum())")
