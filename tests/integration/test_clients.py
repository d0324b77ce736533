"""The internal clients in the stack: retries under a throttled device, per policy, and
totals that add up across 1 and 4 locust workers."""

import json
import time
import urllib.parse
import urllib.request

import pytest

from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

LINKS = ["api", "dns", "kv", "monitoring"]


def locust(stack, path, **form):
    data = urllib.parse.urlencode(form).encode() if form else None
    with urllib.request.urlopen(stack.url("loadgen", 8089) + path, data=data, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body.strip().startswith(b"{") else {}


def proxy(stack, method, path, body):
    request = urllib.request.Request(stack.url("proxy", 8474) + path, method=method,
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def settled_value(stack, promql: str, timeout: float = 30) -> float:
    """A value once it has stopped moving (the last scrapes of earlier traffic are in)."""
    previous = [stack.value(promql)]

    def unchanged():
        current = stack.value(promql)
        same = current == previous[0]
        previous[0] = current
        return same

    wait_until(unchanged, timeout=timeout, interval=3, what=f"{promql} to settle")  # 3 s > a scrape
    return previous[0]


def connected_workers(stack) -> int:
    workers = locust(stack, "/stats/requests").get("workers", [])  # a list in locust 2.12 and later
    return sum(1 for worker in workers if worker.get("state") != "missing")


def locust_total_requests(stack) -> int:
    stats = locust(stack, "/stats/requests")["stats"]
    return next(row["num_requests"] for row in stats if row["name"] == "Aggregated")


@pytest.fixture
def clients(stack):
    """Start N clients; always stopped (and faults cleared) afterwards."""
    def start(users):
        # No run_time: locust 2.12 never cancels a run_time timer, so one left by an earlier test
        # would stop a later test's clients. The clients' max_run_seconds bounds every run.
        assert locust(stack, "/swarm", user_count=users, spawn_rate=100)["success"]
    yield start
    locust(stack, "/stop")
    for link in LINKS:
        proxy(stack, "PATCH", f"/links/{link}", {"faults": None})


def test_retries_rise_when_the_device_throttles_and_show_per_policy(stack, clients):
    retries = 'sum by (policy) (increase(stormlab_client_retries_total[10s]))'
    clients(20)
    wait_until(lambda: stack.value("sum(stormlab_client_active_clients)") == 20, timeout=30,
               what="20 active clients in Prometheus")
    time.sleep(10)
    calm = stack.prometheus("/api/v1/query", query=retries)["result"]
    calm_retries = sum(float(r["value"][1]) for r in calm)
    for link in LINKS:  # the device answers half of all requests with 503 + Retry-After
        proxy(stack, "PATCH", f"/links/{link}", {"faults": {"shed": {
            "type": "http_error", "probability": 0.5, "status": 503, "retry_after_seconds": 0}}})

    def stormy():
        result = stack.prometheus("/api/v1/query", query=retries)["result"]
        per_policy = {r["metric"]["policy"]: float(r["value"][1]) for r in result}
        return per_policy if per_policy.get("full-jitter", 0) > calm_retries + 20 else None

    per_policy = wait_until(stormy, timeout=40, interval=2, what="retries to rise")
    assert set(per_policy) == {"full-jitter"}  # the stack's clients' one policy, by name
    # The 10 s rate window still holds calm seconds when retries first rise; once it covers
    # only the stormy ones, half the attempts shed gives ~1.75 attempts per request (3 max).
    amplification = ('sum(rate(stormlab_client_attempts_total[10s])) / '
                     'sum(rate(stormlab_client_requests_started_total[10s]))')
    wait_until(lambda: stack.value(amplification) > 1.3, timeout=30, interval=2,
               what="attempts per request above 1.3")
    shed = stack.value('sum(rate(stormlab_client_attempts_total{outcome="shed"}[10s]))')
    assert shed > 0


@pytest.fixture
def scale_workers(stack):
    """Scale the locust workers; the stack gets its one worker back afterwards."""
    yield lambda n: stack.compose("up", "-d", "--no-recreate", "--scale", f"loadgen-worker={n}", "loadgen-worker")
    stack.compose("up", "-d", "--no-recreate", "--scale", "loadgen-worker=1", "loadgen-worker")
    wait_until(lambda: connected_workers(stack) == 1, timeout=60, what="back to one worker")
    wait_until(lambda: stack.value('count(up{job="loadgen"})') == 1, timeout=60, what="one worker scraped")


@pytest.mark.parametrize("workers", [1, 2])
def test_totals_add_up_across_workers(stack, clients, scale_workers, workers):
    scale_workers(workers)
    wait_until(lambda: connected_workers(stack) == workers, timeout=60, what=f"{workers} workers connected")
    wait_until(lambda: stack.value('count(up{job="loadgen"} == 1)') == workers, timeout=60,
               what=f"Prometheus scraping {workers} workers")
    before = settled_value(stack, "sum(stormlab_client_attempts_total)")
    since = time.time()
    clients(8)  # locust clears its own statistics as a test starts: its totals count from here
    wait_until(lambda: stack.value("sum(stormlab_client_active_clients)") == 8, timeout=30,
               what="8 active clients summed over the workers")
    time.sleep(6)
    locust(stack, "/stop")

    def settled():  # workers report to the master every few seconds; Prometheus scrapes every 2 s
        ours = stack.value("sum(stormlab_client_attempts_total)") - before
        theirs = locust_total_requests(stack)
        return (ours, theirs) if ours == theirs and ours > 0 else None

    ours, _ = wait_until(settled, timeout=30, interval=2, what="our totals to match locust's")
    assert ours >= 8 * 6 * 0.5  # 8 clients, ~1 request/s each, for 6 s (Poisson: allow slack)

    # The sub-second record of when attempts were sent, summed over the workers by the master.
    # It counts an attempt as it is sent, the counter as it ends: stopping the clients kills
    # those in flight, which only the record has (8 clients, at most a few each).
    until = time.time()
    sends = wait_until(lambda: (lambda a: a if a["complete"] else None)(
        locust(stack, f"/stormlab/attempts?since={since}&until={until}")),
        timeout=10, what="every worker's attempts reported")
    assert len(sends["workers"]) == workers
    sent = sum(first + retries for _, first, retries in sends["slots"])
    assert ours <= sent <= ours + 8 * 4
    # The device timed the connections that arrived meanwhile (the clients' pooled ones, and
    # the operator view's scrapes: no exact count to expect, but never none).
    with urllib.request.urlopen(stack.url("proxy", 8474) + f"/arrivals?since={since}&until={until}",
                                timeout=10) as response:
        arrivals = json.loads(response.read())
    assert sum(count for _, count in arrivals["slots"]) > 0


ANNOUNCE = """
import json, urllib.request
body = json.dumps({{"endpoints": [{{"replica": "api-{n}", "address": "10.0.0.{n}:8080"}}]}}).encode()
request = urllib.request.Request("http://127.0.0.1:8080/admin/membership/api", data=body, method="PUT",
                                 headers={{"Content-Type": "application/json"}})
print(json.dumps(json.loads(urllib.request.urlopen(request, timeout=5).read())))
"""


def test_a_membership_change_makes_every_client_reconnect_at_once(stack, clients):
    # The scaling trigger reaches clients as a new membership version on dns, which every
    # client polls through the proxy (every 5 s in the stack's config).
    stack.run_python("dns", ANNOUNCE.format(n=1))
    clients(10)
    wait_until(lambda: stack.value("sum(stormlab_client_active_clients)") == 10, timeout=30, what="10 clients")
    time.sleep(12)  # two poll intervals and some: every client has seen the current version
    before = stack.value("sum(stormlab_client_reconnects_total)")
    stack.run_python("dns", ANNOUNCE.format(n=2))  # a new version
    reconnected = wait_until(
        lambda: (stack.value("sum(stormlab_client_reconnects_total)") - before) >= 10 or None,
        timeout=30, interval=1, what="all 10 clients to reconnect")  # a 5 s poll, 2 s scrapes
    assert reconnected
    assert stack.value("max(stormlab_client_membership_version)") >= 2
