"""The smoke test of the kernel device (docker-compose.kernel.yml): a stack of its own with the
router in the proxy's place, traffic through it, limits changed live with the kernel's counters
following what the clients saw, and one storm scenario judged on it. The stack is removed after
the module, also when a test fails."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest

from tests.integration.conftest import ROOT, Stack, started

pytestmark = pytest.mark.integration
KERNEL_FILE = "docker-compose.kernel.yml"

# Runs inside the loadgen container: starts a TCP connection to host:port every 1/per_second s
# for `seconds` (non-blocking, paced, as tests/kernel/traffic.py's knock), each given up after
# `wait` s (under the kernel's first SYN retransmission, 1 s: every attempt is one SYN) and closed
# once made; prints the connections made and offered, and the rate made after the first 0.5 s
# (the burst spent).
CONNECT = """
import json, selectors, socket, time
address, port, per_second, seconds, wait = socket.gethostbyname({host!r}), {port}, {per_second}, {seconds}, 0.5
chooser, pending, made, offered = selectors.DefaultSelector(), {{}}, [], 0
start = time.monotonic()
while time.monotonic() < start + seconds + wait + 2:
    now = time.monotonic()
    while now < start + seconds and offered < int((now - start) * per_second) + 1:
        sock = socket.socket(); sock.setblocking(False); sock.connect_ex((address, port))
        chooser.register(sock, selectors.EVENT_WRITE); pending[sock] = now; offered += 1
    if now >= start + seconds and not pending:
        break
    for key, _ in chooser.select(timeout=0.005):
        sock = key.fileobj
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            made.append(time.monotonic() - start)
        chooser.unregister(sock); del pending[sock]; sock.close()
    for sock, since in list(pending.items()):
        if time.monotonic() - since > wait:
            chooser.unregister(sock); del pending[sock]; sock.close()
steady = sum(0.5 <= t <= seconds for t in made) / (seconds - 0.5)
print(json.dumps({{"made": len(made), "offered": offered, "steady_per_second": steady}}))
"""

# Fetches URL from `threads` loops for `seconds`, a new connection each; prints bytes/s.
FETCH = """
import json, threading, time, urllib.request
url, threads, seconds = {url!r}, {threads}, {seconds}
total, lock = [0], threading.Lock()
deadline = time.monotonic() + seconds
def loop():
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                n = len(r.read())
        except OSError:
            n = 0
        with lock:
            total[0] += n
started = time.monotonic()
workers = [threading.Thread(target=loop) for _ in range(threads)]
[w.start() for w in workers]; [w.join() for w in workers]
print(json.dumps({{"rate": total[0] / (time.monotonic() - started)}}))
"""


@pytest.fixture(scope="module")
def kernel_stack():
    yield from started(Stack(f"stormlab-it-kernel-{uuid.uuid4().hex[:8]}", (KERNEL_FILE,)))


def admin(stack: Stack, method: str, path: str, body=None):
    request = urllib.request.Request(stack.url("proxy", 8474) + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def accepted_setups(stack: Stack, link: str) -> int:
    status, found = admin(stack, "GET", f"/links/{link}")
    assert status == 200, found
    return found["state"]["connection_attempts"]["accepted"]


@pytest.fixture
def device(kernel_stack):
    """PATCH the kernel device's border; every limit is put back afterwards."""
    def change(patch):
        status, answer = admin(kernel_stack, "PATCH", "/devices/border", patch)
        assert status == 200, answer
        return answer
    yield change
    admin(kernel_stack, "PATCH", "/devices/border", {"downstream": None, "upstream": None, "connections": None})


def test_the_router_is_the_device_and_the_only_container_with_an_added_capability(kernel_stack):
    status, health = admin(kernel_stack, "GET", "/health")
    assert (status, health["kind"]) == (200, "kernel"), health
    added = {container.labels["com.docker.compose.service"]: container.attrs["HostConfig"]["CapAdd"] or []
             for container in kernel_stack.docker.containers.list(
                 filters={"label": f"com.docker.compose.project={kernel_stack.project}"})}
    assert added.pop("proxy") == ["NET_ADMIN"]
    assert all(not caps for caps in added.values()), added
    # The agent listens on the admin port only (Docker's embedded DNS on 127.0.0.11 is Docker's).
    code, output = kernel_stack.container("proxy").exec_run(["ss", "-Hltn"])
    assert code == 0, output
    listening = {line.split()[3] for line in output.decode().splitlines()}
    assert {address for address in listening if not address.startswith("127.0.0.11:")} == {"0.0.0.0:8474"}


def test_traffic_crosses_the_kernel_and_its_counters_follow(kernel_stack):
    before = accepted_setups(kernel_stack, "dns")
    seen = kernel_stack.run_python("loadgen", CONNECT.format(host="proxy", port=8053, per_second=50, seconds=1.0))
    assert seen["made"] == seen["offered"] >= 50, seen  # unlimited: every connection made
    assert accepted_setups(kernel_stack, "dns") - before == seen["made"]


@pytest.mark.parametrize("limit", [20, 60])
def test_a_setup_rate_set_live_holds_under_a_surge_and_the_counters_agree(kernel_stack, device, limit):
    # nftables' limit; a burst of 5 banks the tokens that fall between two SYNs (with 1, each token waits for
    # the next SYN and the rate passed falls short of the limit by the gap: 17.6/s for 20/s)
    device({"connections": {"new_per_second": limit, "new_burst": 5, "backlog": 0}})
    before = accepted_setups(kernel_stack, "dns")
    seen = kernel_stack.run_python("loadgen", CONNECT.format(host="proxy", port=8053, per_second=5 * limit,
                                                             seconds=3.0))
    # The kernel's bucket is exact; a window's edges cost a connection or two.
    assert limit * 0.9 <= seen["steady_per_second"] <= limit * 1.1, seen
    counted = accepted_setups(kernel_stack, "dns") - before
    assert abs(counted - seen["made"]) <= 2, (counted, seen)


def test_bandwidth_is_shaped_by_the_kernel_and_changes_live(kernel_stack, device):
    device({"downstream": {"bytes_per_second": 500_000}})
    slow = kernel_stack.run_python("loadgen", FETCH.format(url="http://proxy:8081/v1/work", threads=16, seconds=4))
    device({"downstream": {"bytes_per_second": 1_500_000}})
    fast = kernel_stack.run_python("loadgen", FETCH.format(url="http://proxy:8081/v1/work", threads=16, seconds=4))
    # htb is given the payload rate in the wire bytes of full-size segments; these responses are
    # smaller, so their headers cost a little more. A window's edges cut responses in flight.
    assert 0.42e6 <= slow["rate"] <= 0.54e6, slow
    assert 1.27e6 <= fast["rate"] <= 1.62e6, fast
    _, found = admin(kernel_stack, "GET", "/devices/border")
    assert found["state"]["downstream"]["forwarded_bytes"] > 0


def test_what_the_kernel_lacks_is_refused_in_the_proxys_shape_and_nothing_changes(kernel_stack):
    status, refused = admin(kernel_stack, "PATCH", "/devices/border",
                            {"connections": {"new_per_second": 5, "setup_cost_bytes": 100}})
    assert status == 400, refused
    assert refused["error"] == "change to device 'border' refused (1 problem); nothing changed"
    assert refused["problems"][0].startswith("connections.setup_cost_bytes: the kernel's connection setup work")
    _, found = admin(kernel_stack, "GET", "/devices/border")
    assert found["config"]["connections"]["new_per_second"] is None  # nothing changed


def test_a_storm_scenario_is_judged_on_the_kernel_device(kernel_stack, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "experiments", "run", "retry-storm", "--no-start", "--no-progress",
         "--project", kernel_stack.project, "--time-scale", "0.5", "--results", str(tmp_path)],
        cwd=ROOT, env=kernel_stack.env, capture_output=True, text=True, timeout=300)
    (run_dir,) = tmp_path.iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "complete", (run.stdout, run.stderr, record.get("error"))
    assert record["device"] == "kernel"
    # what the kernel has no mechanism for is named; the backlog is the kernel's own setup queue
    assert any(note.startswith("on the kernel device: devices.border.connections.setup_cost_bytes = 4000 left out")
               for note in record["notes"]), record["notes"]
    assert not any("connections.backlog" in note for note in record["notes"])
    # the same physics as at the proxy: admitted SYNs wait longer than the clients' connect timeout
    assert record["verdict"]["verdict"] == "metastable", (record["verdict"], run.stdout)
    # and for the same reason: once the trigger is over the retries alone keep the offered load
    # above the device's 100 setups/s, ~60 requests/s x amplification > 100, so the amplification
    # after it must pass 100 / 60 = 1.7 by a margin. (The scenario's hypothesis says 3, as
    # measured at the proxy; on the kernel device two rehearsals measured 4.47 and 2.76.)
    assert record["figures"]["retry_amplification_after"]["value"] >= 2, record["figures"]
