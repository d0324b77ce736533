"""The same stack as a Swarm stack (make swarm-up): its networks keep the clients away from the
services but through the device, Prometheus scrapes every task, the runner finds the stack and
two canonical scenarios give their verdicts on it, and make swarm-down leaves nothing behind.
The tests run in this order; the last one removes the stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.integration.conftest import wait_until
from tests.integration.test_stack import PROBE  # the Compose isolation test's probe, run the same way
from tests.swarm.conftest import ROOT

pytestmark = pytest.mark.integration


def test_clients_reach_services_only_through_the_device(swarm_stack):
    client = swarm_stack.container("loadgen-worker")  # where the clients run
    assert set(client.attrs["NetworkSettings"]["Networks"]) == {f"{swarm_stack.name}_internal"}
    api = swarm_stack.container("api")
    api_ip = api.attrs["NetworkSettings"]["Networks"][f"{swarm_stack.name}_main"]["IPAddress"]

    probe = PROBE.format(urls=["http://proxy:8081/v1/work", "http://proxy:8053/v1/work"])
    through_device = swarm_stack.run_python("loadgen-worker", probe)
    assert through_device["http://proxy:8081/v1/work"] == [200, "api"]
    assert through_device["http://proxy:8053/v1/work"] == [200, "dns"]

    by_name, by_address = "http://api:8080/health", f"http://{api_ip}:8080/health"
    direct = swarm_stack.run_python("loadgen-worker", PROBE.format(urls=[by_name, by_address]))
    assert direct[by_name][0] == "error", direct  # the main network's names do not resolve
    assert direct[by_address][0] == "error", direct  # and its addresses are not routed
    assert "unreachable" in direct[by_address][1].lower(), direct  # no route at all: nothing leaves

    # Control: the same address answers from the device, which is on both networks.
    assert swarm_stack.run_python("proxy", PROBE.format(urls=[by_address]))[by_address] == [200, None]


def test_prometheus_scrapes_every_task(swarm_stack):
    ports = swarm_stack.container("prometheus").attrs["NetworkSettings"]["Ports"]["9090/tcp"]
    url = f"http://127.0.0.1:{ports[0]['HostPort']}/api/v1/targets"

    def all_up():
        with urllib.request.urlopen(url, timeout=10) as response:
            targets = json.load(response)["data"]["activeTargets"]
        jobs = {}
        for target in targets:
            jobs.setdefault(target["labels"]["job"], []).append(target["health"])
        wanted = {"proxy", "services", "loadgen", "prometheus", "experiment"}
        return jobs if wanted <= set(jobs) and all(h == "up" for j in wanted for h in jobs[j]) else None

    jobs = wait_until(all_up, timeout=45, what="every ground-truth target up on the swarm")
    assert len(jobs["services"]) == 4  # api, dns, kv, monitoring: found by DNS, one task each


def run_scenario(swarm_stack, name: str) -> subprocess.CompletedProcess:
    results = os.environ.get("RESULTS", "results/ci")
    return subprocess.run(
        [sys.executable, "-m", "experiments", "run", name, "--swarm", "--no-start", "--project", swarm_stack.name,
         "--time-scale", os.environ.get("TIME_SCALE", "0.5"), "--no-progress", "--results", f"{results}/swarm"],
        cwd=ROOT, env=swarm_stack.env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize(("scenario", "verdict"), [("retry-storm", "metastable"), ("retry-budget", "recovered")])
def test_a_scenario_gives_its_verdict_on_the_swarm(swarm_stack, scenario, verdict):
    done = run_scenario(swarm_stack, scenario)
    print(done.stdout[-3000:], done.stderr[-3000:])
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"verdict: {verdict} (as expected)" in done.stdout + done.stderr


def test_swarm_down_leaves_nothing_behind(swarm_stack):
    done = swarm_stack.script("swarm/down.sh")
    assert done.returncode == 0, done.stderr
    assert swarm_stack.left_behind() == {"services": [], "containers": [], "networks": [], "volumes": []}
    if swarm_stack.swarm_before == "inactive":  # swarm-up made a single-node swarm: it is gone again,
        assert swarm_stack.swarm_state() == "inactive"
        # with every network it made (its ingress, docker_gwbridge)
        assert swarm_stack.network_names() - swarm_stack.networks_before == set()
