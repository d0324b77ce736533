"""The whole stack in real containers: scraping, network isolation, traffic end to end."""

import json
import urllib.parse
import urllib.request

import pytest
import yaml

from tests.integration.conftest import ROOT, wait_until

pytestmark = pytest.mark.integration

def expected_targets() -> dict[str, int]:
    """Per job, the targets prometheus.yml names (a DNS name is one replica at start). An HTTP
    SD job has none: the shared stack has no remote worker to list (docs/remote-workers.md)."""
    config = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    expected = {}
    for job in config["scrape_configs"]:
        static = sum(len(group["targets"]) for group in job.get("static_configs", []))
        discovered = sum(len(sd["names"]) for sd in job.get("dns_sd_configs", []))
        expected[job["job_name"]] = static + discovered
    return expected


def test_every_prometheus_target_is_up(stack):
    expected = expected_targets()

    def all_up():
        targets = stack.prometheus("/api/v1/targets")["activeTargets"]
        per_job = {}
        for target in targets:
            per_job.setdefault(target["labels"]["job"], []).append(target["health"])
        # a job with no target does not show in activeTargets at all
        if {job: len(per_job.get(job, [])) for job in expected} != expected or not set(per_job) <= set(expected):
            return None
        return per_job if all(h == "up" for healths in per_job.values() for h in healths) else None

    wait_until(all_up, timeout=45, what=f"targets {expected} all up")


# Runs inside a container: try each URL, report status (or the error) as JSON.
PROBE = """
import json, urllib.request
results = {{}}
for url in {urls!r}:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            results[url] = [r.status, r.headers.get("X-Stormlab-Service")]
    except Exception as exc:
        results[url] = ["error", type(exc).__name__ + ": " + str(exc)]
print(json.dumps(results))
"""


def probe(stack, service, urls):
    return stack.run_python(service, PROBE.format(urls=urls))


def test_internal_clients_reach_services_only_through_the_proxy(stack):
    networks = set(stack.container("loadgen").attrs["NetworkSettings"]["Networks"])
    assert networks == {f"{stack.project}_internal"}
    api_ip = stack.container("api").attrs["NetworkSettings"]["Networks"][f"{stack.project}_main"]["IPAddress"]

    through_proxy = probe(stack, "loadgen", ["http://proxy:8081/v1/work", "http://proxy:8053/v1/work"])
    assert through_proxy["http://proxy:8081/v1/work"] == [200, "api"]
    assert through_proxy["http://proxy:8053/v1/work"] == [200, "dns"]

    by_name, by_address = "http://api:8080/health", f"http://{api_ip}:8080/health"
    direct = probe(stack, "loadgen", [by_name, by_address])
    assert direct[by_name][0] == "error", direct  # the main network's names do not resolve
    assert direct[by_address][0] == "error", direct  # and its addresses are not routed

    # Control: the same address answers from the proxy, which is on both networks, so the
    # failure above is the isolation and not a wrong address.
    assert probe(stack, "proxy", [by_address])[by_address] == [200, None]


def locust(stack, path, **form):
    data = urllib.parse.urlencode(form).encode() if form else None
    with urllib.request.urlopen(stack.url("loadgen", 8089) + path, data=data, timeout=10) as response:
        return json.loads(response.read() or b"{}")


COUNTERS = {
    "client": 'sum(stormlab_client_requests_total{outcome="success"})',
    "service": 'sum(stormlab_service_requests_total{outcome="success"})',
    "proxy connections": 'sum(stormlab_proxy_connection_attempts_total{outcome="accepted"})',
    "proxy requests": 'sum(stormlab_proxy_http_requests_total{outcome="forwarded"})',
    "proxy bytes downstream": 'sum(stormlab_proxy_bytes_total{direction="downstream"})',
}


SETTLING = ("client", "service", "proxy requests")


def settled_counters(stack) -> dict[str, float]:
    """The counters once Prometheus has scraped every target since earlier tests' traffic.

    Targets are scraped at different moments, so a single read taken right after another
    test's requests (or right after stopping the clients) can hold them on the proxy but not
    yet on the service. Two reads more than a scrape interval apart that agree mean every
    target's latest value is in.
    """
    previous: dict[str, float] = {}

    def unchanged():
        # Only the request counters: the device's connection and byte counters never rest, as
        # Prometheus's operator-view job scrapes through the device every 2 s.
        now = {name: stack.value(COUNTERS[name]) for name in SETTLING}
        agreed = now == previous
        previous.clear()
        previous.update(now)
        return now if agreed else None

    return wait_until(unchanged, timeout=40, interval=5, what="counters to stop moving before the test")


def test_request_counters_move_on_proxy_service_and_client(stack):
    settled = settled_counters(stack)
    before = {**{name: stack.value(q) for name, q in COUNTERS.items()}, **settled}
    # no run_time (see test_clients.py); max_run_seconds bounds the run, and it is stopped below
    users = 5
    assert locust(stack, "/swarm", user_count=users, spawn_rate=users)["success"] is True
    try:
        def all_moved():
            now = {name: stack.value(q) for name, q in COUNTERS.items()}
            moved = {name: now[name] - before[name] for name in COUNTERS}
            return moved if moved["client"] >= 20 and all(v > 0 for v in moved.values()) else None

        wait_until(all_moved, timeout=45, what="client, service and proxy counters to move")
    finally:
        locust(stack, "/stop")

    # Every request a client saw succeed crossed the device and was served: the counters agree,
    # up to the requests in flight when the clients were stopped. Stopping kills a user
    # mid-request, after the proxy forwarded it and perhaps after the service answered it, so
    # each stage counts at least as many as the next, and at most one request per user and
    # per membership watcher more than the client (a CI run once saw 58 forwarded, 57 served).
    in_flight_bound = 2 * users
    after = settled_counters(stack)
    moved = {name: after[name] - before[name] for name in SETTLING}
    assert moved["client"] >= 20, moved
    assert moved["client"] <= moved["service"] <= moved["proxy requests"], moved
    assert moved["proxy requests"] - moved["client"] <= in_flight_bound, moved
