"""Load-generator workers on another host (docs/remote-workers.md): a stack of its own started
with docker-compose.remote-workers.yml, two workers started by tools/worker.sh on "another
host", joining its master across a real network link, running load through its device, their
attempts in the master's /stormlab/attempts and their metrics in the stack's Prometheus, which
scrapes them where they advertised; and stopping by themselves when the master stops.

How "another host" is stood for, and why. A network namespace of its own, joined to this host
by a veth pair (this host 10.79.0.1/24, the other 10.79.0.2/24), as two machines on one LAN:
its only interfaces are that link and its loopback, it has no route to Docker's networks, and
the stack publishes its ports on 10.79.0.1 only. Its workers are containers of the same
stormlab-loadgen image tools/worker.sh runs on a real host (not the venv's locust 2.47 as a
process: Debian's 2.12 master accepts that worker too, but the test would then not be testing
the worker the script starts), put in that namespace with `--network container:<the other
host>`: a placeholder container whose namespace the veth's far end is moved into. The script
itself runs there too (`ip netns exec`), so its checks go over the link. Traffic then crosses as
between hosts: the workers reach the master and the device through Docker's published ports
(DNAT on 10.79.0.1), and Prometheus reaches the workers by routing out of its bridge onto the
link (masqueraded, as Docker does for traffic leaving a host). A container on another Docker
network was not chosen: it reaches published ports through docker-proxy, a relay on the same
machine, and shares the host's bridges and its DOCKER-ISOLATION rules, so it stands for a
neighbour on one machine, not for another host. What proves the crossing, checked below: the
namespace's interfaces, the stack's container addresses unreachable from it, the master's
connections coming from 10.79.0.2, and the link's byte counters growing with the load.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import yaml

from experiments.clients.loadgen import LoadgenClient
from stormlab_common.compose import compose_command, compose_environment
from tests.integration.conftest import ROOT, Stack, started, wait_until

pytestmark = pytest.mark.integration

OVERRIDE = "docker-compose.remote-workers.yml"
THIS_HOST, OTHER_HOST = "10.79.0.1", "10.79.0.2"
SUBNET = "10.79.0.0/24"
MASTER_PORT = 5557
LINK_PORTS = (8081, 8053, 8082, 8083)
WORKERS = 2
FIRST_METRICS_PORT = 9646  # tools/worker.sh's default: worker i exports on 9646 + i
IMAGE = f"stormlab-loadgen:{os.environ.get('STORMLAB_IMAGE_TAG') or 'local'}"
LABEL = "io.stormlab.remote-worker"  # tools/worker.sh's


@dataclass(frozen=True)
class OtherHost:
    namespace: str  # the name `ip netns` knows its network namespace by
    placeholder: str  # the container holding that namespace (its workers share it)
    link: str  # this host's end of the veth pair
    group: str  # tools/worker.sh's group for its workers

    def run(self, *command: str, env=None, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.namespace, *command], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _missing_requirement() -> str | None:
    if os.geteuid() != 0:
        return "needs root (a network namespace and a veth pair)"
    if shutil.which("ip") is None:
        return "needs 'ip' (iproute2) on PATH"
    in_use = subprocess.run(["ip", "-4", "route", "show", "to", "match", THIS_HOST], capture_output=True,
                            text=True, timeout=10).stdout
    if SUBNET in in_use or THIS_HOST in subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True,
                                                      text=True, timeout=10).stdout:
        return f"{SUBNET} is already in use on this machine"
    return None


def _link_bytes(interface: str) -> tuple[int, int]:
    """(received, sent) by this host's end of the link."""
    stats = Path(f"/sys/class/net/{interface}/statistics")
    return int((stats / "rx_bytes").read_text()), int((stats / "tx_bytes").read_text())


def _remove_workers(client, group: str) -> None:
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}={group}"}):
        container.remove(force=True)


@pytest.fixture(scope="module")
def other_host():
    reason = _missing_requirement()
    if reason:
        pytest.skip(reason)
    suffix = uuid.uuid4().hex[:6]
    host = OtherHost(f"stormlab-it-other-{suffix}", f"stormlab-it-other-host-{suffix}", f"rwh{suffix}",
                     f"it-{suffix}")
    peer = f"rwp{suffix}"
    client = docker.from_env()
    try:
        _ip("link", "add", "name", host.link, "type", "veth", "peer", "name", peer)
        _ip("addr", "add", f"{THIS_HOST}/24", "dev", host.link)
        _ip("link", "set", host.link, "up")
        # The other host's network namespace: a container with none of Docker's networks,
        # holding it for the workers, which join it with --network container:<it>.
        placeholder = client.containers.run(IMAGE, entrypoint=["sleep", "infinity"], name=host.placeholder,
                                            network_mode="none", detach=True,
                                            labels={"io.stormlab.test": "remote-workers"})
        placeholder.reload()  # its pid, now it runs
        Path("/var/run/netns").mkdir(parents=True, exist_ok=True)
        _ip("netns", "attach", host.namespace, str(placeholder.attrs["State"]["Pid"]))
        _ip("link", "set", peer, "netns", host.namespace)
        _ip("-n", host.namespace, "addr", "add", f"{OTHER_HOST}/24", "dev", peer)
        _ip("-n", host.namespace, "link", "set", peer, "up")
        _ip("-n", host.namespace, "link", "set", "lo", "up")
        yield host
    finally:
        _remove_workers(client, host.group)
        for container in client.containers.list(all=True, filters={"name": host.placeholder}):
            container.remove(force=True)
        subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True, timeout=10, check=False)
        subprocess.run(["ip", "link", "del", host.link], capture_output=True, timeout=10, check=False)


@pytest.fixture(scope="module")
def remote_stack(other_host):
    stack = Stack(f"stormlab-it-remote-{uuid.uuid4().hex[:8]}")
    stack.env = compose_environment({**stack.env, "STORMLAB_COMPOSE_FILES": OVERRIDE,
                                     "STORMLAB_REMOTE_WORKERS_ADDRESS": THIS_HOST})
    yield from started(stack)


def _published(ports: list) -> set[str]:
    """host_ip:published:target of each port, as Compose v1 (strings) or v2 (mappings) writes it."""
    return {port.split("/")[0] if isinstance(port, str) else f"{port['host_ip']}:{port['published']}:"
            f"{port['target']}" for port in ports}


def test_compose_takes_the_override_only_with_the_address_remote_workers_reach(tmp_path):
    env = compose_environment({**os.environ, "COMPOSE_PROJECT_NAME": "stormlab-it-config-only",
                               "STORMLAB_COMPOSE_FILES": OVERRIDE})
    env.pop("STORMLAB_REMOTE_WORKERS_ADDRESS", None)
    unset = subprocess.run([*compose_command(), "config", "--quiet"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60)
    assert unset.returncode != 0
    assert "set it to the address remote workers reach this host on (docs/remote-workers.md)" in unset.stderr
    given = subprocess.run([*compose_command(), "config"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={**env, "STORMLAB_REMOTE_WORKERS_ADDRESS": "192.168.1.20"})
    assert given.returncode == 0, given.stderr
    services = yaml.safe_load(given.stdout)["services"]
    assert "192.168.1.20:5557:5557" in _published(services["loadgen"]["ports"])
    assert {f"192.168.1.20:{port}:{port}" for port in LINK_PORTS} <= _published(services["proxy"]["ports"])
    # the base file's loopback ports stay; nothing else is published on the remote address
    every = [port for service in services.values() for port in _published(service.get("ports", []))]
    assert sorted(p for p in every if p.startswith("192.168.1.20:")) == sorted(
        f"192.168.1.20:{port}:{port}" for port in (MASTER_PORT, *LINK_PORTS))


MASTER_PEERS = """
import json
peers = []
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    fields = line.split()
    local, remote, state = fields[1], fields[2], fields[3]
    if state == "01" and int(local.split(":")[1], 16) == 5557:  # established, on the master's port
        address = remote.split(":")[0]
        peers.append(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
print(json.dumps(peers))
"""


@pytest.mark.timeout(600)  # the stack's start (~60-90 s here), two workers joining, ~15 s of load, the checks
def test_workers_on_another_host_join_the_master_send_through_the_device_and_are_scraped(remote_stack,
                                                                                          other_host):
    stack = remote_stack
    master = LoadgenClient(stack.url("loadgen", 8089))
    base = stack.url("loadgen", 8089)
    worker_sh = str(ROOT / "tools/worker.sh")
    try:
        began = time.monotonic()
        up = other_host.run(worker_sh, "up", "--master", f"{THIS_HOST}:{MASTER_PORT}", "--workers",
                            str(WORKERS), "--network", f"container:{other_host.placeholder}",
                            "--group", other_host.group, env=stack.env)
        joined_at = time.monotonic()
        joined_after = joined_at - began
        assert up.returncode == 0, up.stderr
        print(f"tools/worker.sh up: {WORKERS} workers joined in {joined_after:.1f} s")
        advertised = {f"{OTHER_HOST}:{FIRST_METRICS_PORT + i}" for i in range(WORKERS)}
        # the device host defaults to the master's, the advertised address to this side of the route
        assert (f"{WORKERS} workers joined the master at {THIS_HOST}:{MASTER_PORT}, sending to the device at "
                f"{THIS_HOST} (links 8053 8081 8082 8083); metrics on {OTHER_HOST}:9646-9647") in up.stderr

        # --- the crossing is a host-to-host one --------------------------------------------------
        workers = stack.docker.containers.list(filters={"label": f"{LABEL}={other_host.group}"})
        assert len(workers) == WORKERS
        assert {w.attrs["HostConfig"]["NetworkMode"] for w in workers} == {
            f"container:{stack.docker.containers.get(other_host.placeholder).id}"}
        interfaces = subprocess.run(["ip", "-n", other_host.namespace, "-o", "link"], capture_output=True,
                                    text=True, timeout=10, check=True).stdout
        assert sorted(line.split(":")[1].strip().split("@")[0] for line in interfaces.splitlines()) == [
            "lo", other_host.link.replace("rwh", "rwp")]
        proxy_inside = stack.container("proxy").attrs["NetworkSettings"]["Networks"][
            f"{stack.project}_internal"]["IPAddress"]
        unreachable = other_host.run("timeout", "3", "bash", "-c", f"exec 3<>/dev/tcp/{proxy_inside}/8081")
        assert unreachable.returncode != 0 and "Network is unreachable" in unreachable.stderr, unreachable
        peers = stack.run_python("loadgen", MASTER_PEERS)
        assert peers.count(OTHER_HOST) == WORKERS, peers  # the in-stack worker's is the other one

        # --- the master lists them where they advertised; Prometheus scrapes them there ---------
        listed = _get(base + "/stormlab/workers")
        assert listed["count"] == WORKERS + 1  # and the stack's own worker, which advertises nothing
        assert sorted(w["metrics"] or "" for w in listed["workers"]) == ["", *sorted(advertised)]
        assert {t for group in _get(base + "/stormlab/workers/http-sd") for t in group["targets"]} == advertised
        remote_ids = {w["id"] for w in listed["workers"] if w["metrics"]}

        def scraped():
            per_job: dict[str, dict[str, str]] = {}
            for target in stack.prometheus("/api/v1/targets")["activeTargets"]:
                labels = target["labels"]
                per_job.setdefault(labels["job"], {})[labels["instance"]] = target["health"]
            remote, in_stack = per_job.get("loadgen-remote", {}), per_job.get("loadgen", {})
            return (set(remote) == advertised and set(remote.values()) == {"up"} and len(in_stack) == 1
                    and not set(in_stack) & advertised) and per_job

        wait_until(scraped, timeout=60, what=f"Prometheus scraping {sorted(advertised)} as job loadgen-remote")
        print(f"Prometheus scraping both at their advertised addresses {time.monotonic() - joined_at:.1f} s "
              "after they joined")

        # --- only the remote workers run clients: every attempt counted is theirs ------------------
        stack.compose("stop", "--timeout", "10", "loadgen-worker")
        wait_until(lambda: master.worker_count() == WORKERS, timeout=30, what="the stack's own worker gone")
        received_before, sent_before = _link_bytes(other_host.link)
        since = time.time()
        master.swarm(10, 10)  # 10 clients at 1 request/s each

        def sent_so_far() -> int:
            window = _get(base + "/stormlab/attempts", since=since - 1, until=time.time() - 1)
            return sum(first + retries for _, first, retries in window["slots"])

        wait_until(lambda: sent_so_far() >= 100, timeout=90, what="100 attempts sent by the remote workers")
        master.stop()
        until = time.time() + 1
        window = master.attempts(since - 1, until, timeout=30)  # waits until every worker has reported
        assert set(window["workers"]) == remote_ids
        attempts = sum(first + retries for _, first, retries in window["slots"])
        assert attempts >= 100, window
        received, sent = (now - before for now, before in zip(_link_bytes(other_host.link),
                                                              (received_before, sent_before), strict=True))
        assert received >= 100 * attempts and sent >= 100 * attempts, (received, sent, attempts)

        def counted_by_prometheus():
            query = 'sum by (instance) (stormlab_client_attempts_total{job="loadgen-remote"})'
            per_instance = stack.prometheus("/api/v1/query", query=query)["result"]
            totals = {item["metric"]["instance"]: float(item["value"][1]) for item in per_instance}
            # each attempt sent and ended is counted; a few killed in flight by the stop are not
            return (set(totals) == advertised and all(totals.values())
                    and 0.9 * attempts <= sum(totals.values()) <= attempts) and totals

        totals = wait_until(counted_by_prometheus, timeout=30,
                            what=f"Prometheus counting the {attempts} attempts")
        print(f"attempts: {attempts} in /stormlab/attempts, {sum(totals.values()):.0f} scraped ({totals}); "
              f"the link carried {received} bytes in, {sent} out")

        # --- bounded: the master stopping stops them (they remove themselves) ---------------------
        stack.compose("stop", "--timeout", "10", "loadgen")
        group_filter = {"label": f"{LABEL}={other_host.group}"}
        wait_until(lambda: not stack.docker.containers.list(all=True, filters=group_filter),
                   timeout=30, what="the remote workers stopping with their master")
    finally:
        other_host.run(worker_sh, "down", "--group", other_host.group, env=stack.env, timeout=60)


def _get(url: str, **params):
    with urllib.request.urlopen(url + ("?" + urllib.parse.urlencode(params) if params else ""),
                                timeout=10) as answer:
        return json.load(answer)
