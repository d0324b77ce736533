"""tools/worker.sh's bad input: each malformed value refused at once (exit 2), a master or a
device this host cannot connect to said so within seconds (exit 1), and nothing started: every
run here has a docker on PATH that only records that it was called, and fails."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools/worker.sh"
LINK_PORTS = (8053, 8081, 8082, 8083)  # loadgen/config.yml's targets' ports, which the script checks
EXPECTED_MASTER = ("Expected: start the stack on the master's host with its master published for remote "
                   "workers: STORMLAB_REMOTE_WORKERS_ADDRESS=<that host's address> "
                   "STORMLAB_COMPOSE_FILES=docker-compose.remote-workers.yml make up (docs/remote-workers.md)")


@pytest.fixture
def run(tmp_path):
    calls = tmp_path / "docker-calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexit 1\n')
    fake.chmod(0o755)

    def run(*args: str) -> tuple[int, str, float, list[str]]:
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(tmp_path)}
        started = time.monotonic()
        done = subprocess.run([str(SCRIPT), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=30)
        elapsed = time.monotonic() - started
        docker = calls.read_text().splitlines() if calls.exists() else []
        return done.returncode, done.stderr.replace("\x1b[1;31m", "").replace("\x1b[0m", ""), elapsed, docker

    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("args,said", [
    ((), "tools/worker.sh up --master HOST[:PORT]"),
    (("up",), "--master (make's MASTER) is required: the stack's host and its master's port, e.g. "
              "192.168.1.20:5557"),
    (("up", "--master"), "--master needs a value"),
    (("up", "--master", "stack:"), "--master (make's MASTER) must be HOST[:PORT] (a host name or IPv4 address, "
                                   "a port 1-65535), got 'stack:'"),
    (("up", "--master", "stack:70000"), "must be HOST[:PORT]"),
    (("up", "--master", "tcp://stack:5557"), "got 'tcp://stack:5557'"),
    (("up", "--master", "stack host"), "got 'stack host'"),
    (("up", "--master", "stack", "--workers", "0"), "--workers (make's WORKERS) must be a whole number from 1 to "
                                                    "64, got '0'"),
    (("up", "--master", "stack", "--workers", "65"), "from 1 to 64, got '65'"),
    (("up", "--master", "stack", "--device-host", "http://stack"), "--device-host (make's DEVICE_HOST) must be a "
                                                                   "host name or IPv4 address"),
    (("up", "--master", "stack", "--group", "Bad Group"), "the group must be lowercase letters"),
    (("up", "--master", "stack", "--bogus", "1"), "unknown argument '--bogus'"),
    (("down", "--group"), "usage: tools/worker.sh down [--group NAME]"),
])
def test_a_malformed_value_is_refused_before_anything_is_tried(run, args, said):
    code, said_back, elapsed, docker = run(*args)
    assert (code, docker) == (2, []), said_back
    assert said in said_back
    assert elapsed < 2.0  # nothing is tried: no connection, no docker


def test_no_master_on_a_free_local_port_fails_within_10_s_saying_what_it_tried_and_expects(run):
    port = free_port()
    code, said, elapsed, docker = run("up", "--master", f"127.0.0.1:{port}")
    assert (code, docker) == (1, []), said
    assert (f"no locust master reachable at 127.0.0.1:{port}: a TCP connection from this host failed "
            f"(Connection refused). {EXPECTED_MASTER}") in said
    assert elapsed < 10.0  # the bound promised; refused at once on loopback (~0.02 s measured)


def test_a_master_that_never_answers_fails_after_the_connect_timeout(run):
    # A listener whose accept queue is full: Linux drops further SYNs, so a connect hangs, as to
    # a host that is down or firewalled.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        held = []
        for _ in range(3):  # fill the queue (backlog 0 takes one); the rest wait in SYN-SENT
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
            held.append(client)
        time.sleep(0.2)
        try:
            code, said, elapsed, docker = run("up", "--master", f"127.0.0.1:{port}")
        finally:
            for client in held:
                client.close()
    assert (code, docker) == (1, []), said
    assert f"no locust master reachable at 127.0.0.1:{port}: a TCP connection from this host failed (no " \
           "answer within 3 s)" in said
    assert 2.5 <= elapsed < 10.0  # the 3 s connect timeout, within the 10 s promised


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def test_a_device_not_published_where_the_workers_send_is_said_with_the_link(run):
    if any(_listening("127.0.0.1", port) for port in LINK_PORTS):
        pytest.skip("something on this machine listens on a link port (8053, 8081-8083) of 127.0.0.1")
    with socket.socket() as master:
        master.bind(("127.0.0.1", 0))
        master.listen()
        code, said, elapsed, docker = run("up", "--master", f"127.0.0.1:{master.getsockname()[1]}")
    assert (code, docker) == (1, []), said
    assert ("the device is not reachable at 127.0.0.1:8053 (a link the workers' targets use: 8053 8081 8082 "
            "8083): Connection refused. Expected: the stack's proxy links published there by "
            "docker-compose.remote-workers.yml; give --device-host (make's DEVICE_HOST)") in said
    assert elapsed < 10.0


@pytest.fixture
def stack_on_loopback():
    """``listen(address)``: a master and the device's links listening on ``address``, a loopback
    address of the test's own (so nothing else here is reached, and tests running at once do not
    share one); skipped where another listener holds a link port."""
    sockets = []

    def listen(address: str) -> str:
        try:
            for port in (0, *LINK_PORTS):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind((address, port))
                sock.listen()
        except OSError as exc:
            pytest.skip(f"cannot listen on {address}'s link ports here: {exc}")
        return f"{address}:{sockets[0].getsockname()[1]}"

    yield listen
    for sock in sockets:
        sock.close()


@pytest.mark.skipif(shutil.which("ip") is None, reason="the script finds the route's source address with ip")
def test_metrics_advertised_on_loopback_are_refused_as_out_of_prometheus_reach(run, stack_on_loopback):
    code, said, _, docker = run("up", "--master", stack_on_loopback("127.0.0.5"))  # the route leaves from 127.0.0.1
    assert (code, docker) == (2, []), said
    assert "the metrics would be advertised at 127.0.0.1, which the stack's Prometheus (in a container) cannot " \
           "reach: give --advertise (make's ADVERTISE)" in said


def test_no_image_on_this_host_is_said_with_how_to_bring_it(run, stack_on_loopback):
    code, said, _, docker = run("up", "--master", stack_on_loopback("127.0.0.6"), "--advertise", "10.1.2.3")
    assert code == 1, said
    assert docker == ["image inspect stormlab-loadgen:local"]  # and nothing run
    assert "no image stormlab-loadgen:local on this host: build it (make images) or bring it from the " \
           "stack's host (docker save stormlab-loadgen:local | ssh <this host> docker load)" in said
