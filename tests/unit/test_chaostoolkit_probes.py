"""The extension's probes: the PromQL they ask a real HTTP server standing in for Prometheus,
the figure they make of the answers, how they refuse, and a stormlab run's verdict read from
its run.json."""

import json
import shutil
from pathlib import Path

import pytest

from tests.unit.chaostoolkit_support import fake_stack

from chaoslib.exceptions import ActivityFailed  # isort: skip  (after the skip if not installed)
from chaosstormlab import probes  # isort: skip

RUNS = Path(__file__).parent / "runs"
STARTED = "increase(stormlab_client_requests_started_total"
SUCCEEDED = 'increase(stormlab_client_requests_total{outcome="success"}'


@pytest.fixture
def stack():
    with fake_stack() as found:
        yield found


def queries(stack) -> list[str]:
    return [call.query["query"] for call in stack.prometheus.called("GET", "/api/v1/query")]


def test_goodput_is_the_rate_of_successful_requests(stack):
    stack.prometheus.values["stormlab_client_requests_total"] = 57.8123
    assert probes.goodput(configuration=stack.configuration) == 57.812
    assert probes.goodput(6, target="dns", configuration=stack.configuration) == 57.812
    assert queries(stack) == ['sum(rate(stormlab_client_requests_total{outcome="success"}[10s]))',
                              'sum(rate(stormlab_client_requests_total{outcome="success",target="dns"}[6s]))']


def test_the_goodput_ratio_is_successes_over_requests_started(stack):
    stack.prometheus.values.update({SUCCEEDED: 300.0, STARTED: 600.0})
    assert probes.goodput_ratio(configuration=stack.configuration) == 0.5
    assert queries(stack) == ["sum(increase(stormlab_client_requests_started_total[10s]))",
                              'sum(increase(stormlab_client_requests_total{outcome="success"}[10s]))']


def test_the_goodput_ratio_is_at_most_one(stack):
    # successes of requests started just before the window come on top
    stack.prometheus.values.update({SUCCEEDED: 640.0, STARTED: 600.0})
    assert probes.goodput_ratio(configuration=stack.configuration) == 1.0


def test_a_ratio_without_requests_started_fails_saying_why(stack):
    stack.prometheus.values.update({STARTED: 0.0})
    with pytest.raises(ActivityFailed, match=r"no client request started in the last 10 s, so the ratio is not "
                                             r"defined; expected the clients to be running"):
        probes.goodput_ratio(configuration=stack.configuration)
    with pytest.raises(ActivityFailed, match=r"no client request started in the last 10 s"):
        probes.retry_amplification(configuration=stack.configuration)


def test_retry_amplification_is_attempts_over_requests_started(stack):
    stack.prometheus.values.update({"stormlab_client_attempts_total": 2990.0, STARTED: 600.0})
    assert probes.retry_amplification(configuration=stack.configuration) == 4.983


def test_device_saturation_is_setups_over_the_setup_limit(stack):
    stack.prometheus.values.update({"stormlab_proxy_limit_new_connections_per_second": 100.0,
                                    "stormlab_proxy_connection_attempts_total": 98.0})
    assert probes.device_saturation(configuration=stack.configuration) == 0.98
    probes.device_saturation(offered=True, configuration=stack.configuration)
    assert queries(stack) == [
        'max(stormlab_proxy_limit_new_connections_per_second{device="border"})',
        'sum(rate(stormlab_proxy_connection_attempts_total{device="border",outcome="accepted"}[10s]))',
        'max(stormlab_proxy_limit_new_connections_per_second{device="border"})',
        'sum(rate(stormlab_proxy_connection_attempts_total{device="border"}[10s]))']


def test_an_unlimited_device_has_no_saturation(stack):
    with pytest.raises(ActivityFailed, match=r"device 'dns-path' has no connection setup limit in Prometheus"):
        probes.device_saturation("dns-path", configuration=stack.configuration)


@pytest.mark.parametrize("window", [1, 0, -10, 7200, "10", True])
def test_a_window_prometheus_cannot_rate_is_refused(stack, window):
    with pytest.raises(ActivityFailed, match=r"window_seconds: expected a number of seconds from 4 to 3600 "
                                             r"\(Prometheus scrapes every 2 s and a rate needs two samples\)"):
        probes.goodput(window, configuration=stack.configuration)
    assert stack.prometheus.calls == []


def test_a_label_value_that_would_break_the_query_is_refused(stack):
    with pytest.raises(ActivityFailed, match=r"target: expected a name such as 'dns'"):
        probes.goodput(target='dns"} or vector(1) #', configuration=stack.configuration)


def test_prometheus_refusing_a_query_is_said_in_its_words(stack):
    from chaosstormlab.prometheus import PrometheusApi
    from chaosstormlab.settings import settings_from

    with pytest.raises(ActivityFailed, match=r"Prometheus refused GET /api/v1/query \(HTTP 400\): parse error"):
        PrometheusApi(settings_from(stack.configuration)).value("syntax error")


def test_several_series_are_refused(stack):
    stack.prometheus.series["stormlab_client_requests_total"] = [{"metric": {"a": "1"}, "value": [0, "1"]},
                                                                 {"metric": {"a": "2"}, "value": [0, "2"]}]
    with pytest.raises(ActivityFailed, match=r"with 2 series; expected one \(aggregate it"):
        probes.goodput(configuration=stack.configuration)


def test_a_runs_verdict_and_figures_from_its_record():
    found = probes.run_verdict(str(RUNS / "retry-storm-ci" / "run.json"))
    assert (found["scenario"], found["status"], found["verdict"], found["matches"]) == (
        "retry-storm", "complete", "metastable", True)
    assert found["figures"]["baseline_goodput"] == pytest.approx(57.9, abs=0.1)
    assert found["reason"].startswith("goodput fell below 50% of baseline")


def test_the_latest_run_of_a_results_folder(tmp_path):
    for name in ("20260101T000000Z-retry-storm", "20260102T000000Z-retry-storm-remediation"):
        shutil.copytree(RUNS / ("retry-storm-ci" if name.endswith("storm") else "retry-storm-remediation-ci"),
                        tmp_path / name)
    assert probes.run_verdict(str(tmp_path))["scenario"] == "retry-storm-remediation"
    assert probes.run_verdict(str(tmp_path), scenario="retry-storm")["verdict"] == "metastable"
    with pytest.raises(ActivityFailed, match=r"run: no run of scenario 'baseline' in"):
        probes.run_verdict(str(tmp_path), scenario="baseline")


def test_a_record_that_is_not_a_runs_is_refused(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"format": 1}))
    with pytest.raises(ActivityFailed, match=r"is not a stormlab run record of format 2 \(format 1\)"):
        probes.run_verdict(str(tmp_path / "run.json"))
    with pytest.raises(ActivityFailed, match=r"run: no such run.json, run folder or results folder"):
        probes.run_verdict(str(tmp_path / "nothing.json"))
