"""The running experiment's state, pushed through the real Pushgateway, seen in the real Prometheus."""

import time
import urllib.request
import uuid

import pytest

from experiments.experiment_state import ExperimentState
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


def test_a_pushed_state_reaches_prometheus_and_stays_after_the_run(stack):
    gateway = stack.url("pushgateway", 9091)
    scenario = f"it-state-{uuid.uuid4().hex[:6]}"
    notes = []
    state = ExperimentState(scenario, gateway, warmup=1, goodput=lambda: 50.0, notes=notes, interval=0.5)
    state.tick(0.5, "baseline")
    state.tick(2.0, "baseline")
    assert state.flush(10)

    def phase_now():
        result = stack.prometheus(
            "/api/v1/query", query=f'stormlab_experiment_phase{{scenario="{scenario}"}} == 1')["result"]
        return result[0]["metric"] if result else None

    # one scrape interval (2 s) after the push, plus slack for a loaded machine
    metric = wait_until(phase_now, timeout=30, interval=0.5, what=f"{scenario}'s phase in Prometheus")
    assert metric["phase"] == "before"
    assert metric["job"] == "stormlab_experiment"  # honor_labels: the pushed group's job, not the scrape job's
    assert stack.value(f'stormlab_experiment_goodput_ratio{{scenario="{scenario}"}}') == 1.0

    state.tick(3.0, "trigger: surge")
    state.finish("metastable")
    assert state.pushes >= 2 and notes == []  # requests made during a push coalesce

    def verdict_now():
        result = stack.prometheus(
            "/api/v1/query", query=f'stormlab_experiment_verdict{{scenario="{scenario}"}} == 1')["result"]
        return result[0]["metric"]["verdict"] if result else None

    assert wait_until(lambda: verdict_now() == "metastable", timeout=30, interval=0.5,
                      what=f"{scenario}'s verdict in Prometheus")
    assert phase_now()["phase"] == "end"
    time.sleep(5)  # a few more scrapes: nothing was deleted, the last state is still there
    assert verdict_now() == "metastable"
    with urllib.request.urlopen(gateway + "/metrics", timeout=10) as response:
        assert f'scenario="{scenario}"' in response.read().decode()
