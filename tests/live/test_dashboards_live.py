"""Every Grafana panel shows real data: each PromQL target of each dashboard, with its template
variables and Grafana's built-ins substituted, returns at least one series with data from the
real Prometheus of a stack that has just run scenarios.

Grafana itself cannot run on the CI machines, so this is the proof that the dashboards work:
a panel querying a metric that does not exist, a label that no series carries, or a typo in a
function gets no data here and fails the test, with every such panel listed at once.

It runs after the scenario matrix (tools/test-experiments.sh), against the matrix's own stack:
``STORMLAB_LIVE_PROJECT`` names the compose project and ``STORMLAB_LIVE_SINCE`` the Unix time
the scenarios started. Before checking, it exercises the one thing no scenario does: faults
on a link (a few requests answered with 503 and a few reset by the proxy), so the fault
panels have data too.
"""

from __future__ import annotations

import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.grafana_support import all_selected, dashboard_files, load, panel_targets, substitute, variables
from tests.integration.conftest import Stack, wait_until

pytestmark = pytest.mark.live

RATE_INTERVAL = "10s"  # the widest $__rate_interval Grafana would pick at a 2 s scrape interval, with room
STEP = 5  # s between the points of the range queries


@pytest.fixture(scope="module")
def live():
    project, since = os.environ.get("STORMLAB_LIVE_PROJECT"), os.environ.get("STORMLAB_LIVE_SINCE")
    if not project or not since:
        pytest.fail("set STORMLAB_LIVE_PROJECT (a compose project whose stack has run scenarios) and "
                    "STORMLAB_LIVE_SINCE (Unix time they started); tools/test-experiments.sh does",
                    pytrace=False)
    return Stack(project), float(since)


def exercise_faults(stack: Stack) -> None:
    """Sends 40 requests through the api link while it answers some with 503 and resets some."""
    proxy = stack.url("proxy", 8474)
    faults = {"live-shed": {"type": "http_error", "probability": 0.3, "status": 503},
              "live-reset": {"type": "reset", "probability": 0.2, "on": "connect"}}
    patch(proxy + "/links/api", {"faults": faults})
    try:
        sent = stack.run_python("loadgen", SEND_REQUESTS)
        assert sent["sent"] == 40, sent
    finally:
        patch(proxy + "/links/api", {"faults": dict.fromkeys(faults)})


SEND_REQUESTS = """
import json, urllib.request
outcomes = {}
for _ in range(40):
    try:
        with urllib.request.urlopen("http://proxy:8081/v1/work", timeout=3) as r:
            key = str(r.status)
    except urllib.error.HTTPError as exc:
        key = str(exc.code)
    except Exception as exc:
        key = type(exc).__name__
    outcomes[key] = outcomes.get(key, 0) + 1
print(json.dumps({"sent": sum(outcomes.values()), "outcomes": outcomes}))
"""


def patch(url: str, body: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PATCH",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def has_data(stack: Stack, expr: str, start: float, end: float) -> tuple[bool, str]:
    try:
        result = stack.prometheus("/api/v1/query_range", query=expr, start=start, end=end, step=STEP)["result"]
    except urllib.error.HTTPError as exc:  # a query Prometheus cannot parse: 400 with the reason
        return False, f"rejected: {exc.read().decode()[:300]}"
    for series in result:
        if any(value not in ("NaN", "+Inf", "-Inf") for _, value in series["values"]):
            return True, ""
    return False, f"{len(result)} series, none with a finite value"


def test_every_template_variable_has_values(live):
    stack, _ = live
    empty = []
    for path in dashboard_files():
        dashboard = load(path)
        for variable in variables(dashboard):
            query = variable.get("definition") or variable["query"]
            query = query["query"] if isinstance(query, dict) else query
            # a variable may depend on another ($link on $device): all of each, as on first load
            metric, label = parse_label_values(substitute(query, all_selected(dashboard)))
            params = urllib.parse.urlencode({"match[]": metric})
            values = stack.prometheus(f"/api/v1/label/{label}/values?{params}")
            if not values:
                empty.append(f"{path.name}: ${variable['name']} ({query}) has no values")
    assert empty == []


def parse_label_values(query: str) -> tuple[str, str]:
    """label_values(metric{...}, label) -> (metric{...}, label)."""
    assert query.startswith("label_values(") and query.endswith(")"), query
    metric, _, label = query[len("label_values("):-1].rpartition(",")
    return metric.strip(), label.strip()


def test_every_panel_target_returns_data(live):
    stack, since = live
    exercise_faults(stack)
    # a rate needs two scrapes of the counters the faults created
    injected = f"sum(rate(stormlab_proxy_fault_injections_total[{RATE_INTERVAL}]))"
    wait_until(lambda: stack.prometheus("/api/v1/query", query=injected)["result"],
               timeout=30, what="a rate of the fault counters in Prometheus")
    end = time.time()
    # Evaluation points step back from `end`, so the last one is now (when the faults' rate
    # was just seen), not up to a step earlier.
    start = end - math.ceil((end - since) / STEP) * STEP
    checked, missing = 0, []
    for path in dashboard_files():
        dashboard = load(path)
        chosen = all_selected(dashboard)
        for target in panel_targets(dashboard):
            expr = substitute(target.expr, chosen, rate_interval=RATE_INTERVAL, interval="2s",
                              range_=f"{round(end - since)}s")
            ok, why = has_data(stack, expr, start, end)
            checked += 1
            if not ok:
                missing.append(f"{target.dashboard_title} / {target.panel_title} [{target.ref_id}]: "
                               f"{why}\n    {expr}")
    assert checked > 0
    assert missing == [], f"{len(missing)} of {checked} panel targets returned no data:\n" + "\n".join(missing)
