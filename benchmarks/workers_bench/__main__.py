"""`make bench-workers` (or `python -m benchmarks.workers_bench`): how the storm's size grows
with workers (docs/remote-workers.md, "How the storm grows with workers").

Three cases, the same scenario each time (its client count spread by the locust master over
every connected worker), offered more than the workers can send: (a) 1 worker process, (b) 2
on this host, (c) 1 here and 1 joining from a network namespace standing for another host.
The figure is the attempts/s the master's GET /stormlab/attempts counts over a steady window,
and its ratio to (a). The target is nginx on this host, which answers at once.

Needs root (a veth pair, a network namespace), Docker with the stormlab-loadgen image, nginx.
Waits (bounded) for a quiet machine first. Prints the table and writes it to --out/summary.md.
Everything it starts is removed on exit, on failure and on Ctrl-C too; `--clean` removes what
a killed run left. About 2 minutes at the default 20 s window.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import sys
import time
import uuid
from pathlib import Path

import docker

from benchmarks.markdown import markdown_table
from benchmarks.proxy_bench.native import NginxOrigin
from benchmarks.workers_bench import cases, fleet, other_host, quiet
from benchmarks.workers_bench.figures import rows
from benchmarks.workers_bench.offered import Offered, settings

IMAGE = f"stormlab-loadgen:{os.environ.get('STORMLAB_IMAGE_TAG') or 'local'}"
CASES = dict(zip("abcd", cases.CASES, strict=True))
DEFAULT_CASES = ["a", "b", "c"]


def missing_requirement(client: docker.DockerClient) -> str | None:
    if os.geteuid() != 0:
        return "needs root (a veth pair and a network namespace): run it as root"
    if shutil.which("ip") is None:
        return "needs 'ip' on PATH (apt-get install iproute2)"
    if missing := NginxOrigin.missing():
        return missing
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        return f"no image {IMAGE}: build it (make images, or tools/build-images.sh)"
    if interface := other_host.address_in_use():
        return (f"{interface} already holds an address of {other_host.THIS_HOST}/24: another run of this "
                "benchmark, or one killed before it cleaned up (python -m benchmarks.workers_bench --clean)")
    return None


def other_containers(client: docker.DockerClient) -> int:
    return sum(1 for container in client.containers.list() if fleet.LABEL not in container.labels)


def header(args: argparse.Namespace, client: docker.DockerClient, offered: Offered, waited: quiet.Waited,
           elapsed: float) -> list[str]:
    engine = client.version().get("Version", "?")
    return [
        f"# How the storm grows with workers, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}",
        "",
        f"{os.cpu_count()} cores, shared by the workers, nginx and the master (nothing pinned): the ratio "
        f"is bounded by the machine. Kernel {platform.release()}, Docker {engine}, image {IMAGE}. "
        f"Before the run: {waited.describe()}.",
        "",
        f"Offered: {offered.clients} clients x {offered.per_client:g} requests/s = {offered.per_second:,.0f} "
        "attempts/s, spread by the master over the workers; no retries, a new connection per attempt, at "
        "most 4 in flight per client (arrivals beyond are dropped). Target: nginx on this host (one "
        "worker, `return 200`), at the workers' bridge gateway and on the other host's link. Window "
        f"{args.seconds:g} s after {args.warmup:g} s of warm-up; {elapsed:.0f} s in all. "
        f"`{' '.join(['python -m benchmarks.workers_bench', *sys.argv[1:]])}`",
        "",
    ]


def run(args: argparse.Namespace, stack: contextlib.ExitStack, client: docker.DockerClient) -> str:
    started = time.monotonic()
    offered = Offered(args.clients, args.per_client)
    waited = quiet.wait_for_quiet(lambda: quiet.Seen(quiet.load_average(), other_containers(client)),
                                  args.quiet_timeout)
    print(waited.describe(), flush=True)
    run_id = uuid.uuid4().hex[:6]
    # Undone in reverse: nginx stops, then every container of the run (the workers sharing the
    # placeholder's namespace before it) and the bridge, then the namespace and the link.
    host = stack.enter_context(other_host.OtherHost(run_id, client, IMAGE, {fleet.LABEL: run_id}))
    stack.callback(fleet.remove_labelled, client, run_id)
    # nginx listens at the bridge's gateway, known once the fleet has made its bridge, and the
    # settings name nginx's port: they are filled in once both exist, before any locust starts
    max_run = args.warmup + args.seconds + 120
    the_fleet = fleet.Fleet(run_id, client, IMAGE, {}, other_host.THIS_HOST)
    origin = stack.enter_context(NginxOrigin(also_on=(the_fleet.gateway, other_host.THIS_HOST)))
    the_fleet.settings = settings(offered, f"http://{the_fleet.gateway}:{origin.port}", max_run)
    the_fleet.start_master()
    measured, notes = [], []
    for name in args.cases:
        found, others = cases.measure(CASES[name], the_fleet, host, origin, offered, args.warmup,
                                      args.seconds, lambda: other_containers(client))
        measured.append(found)
        if others:
            notes.append(f"**Disturbed**: {others} containers not of this run were running at the end of "
                         f"{found.case}'s window.")
        time.sleep(args.pause)  # the last case's closed connections settle before the next
    lines = header(args, client, offered, waited, time.monotonic() - started)
    return "\n".join([*lines, markdown_table(rows(measured)), *(f"\n{note}" for note in notes), ""])


def clean(client: docker.DockerClient) -> int:
    removed = fleet.remove_labelled(client) + other_host.remove_leftovers()
    print("\n".join(f"removed {what}" for what in removed) or "nothing left by an earlier run")
    return 0


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workers_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before each window (default 5)")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=DEFAULT_CASES,
                        help="which cases, in this order (default a b c; the ratio is to the first; d: "
                             "1 worker on the other host alone)")
    parser.add_argument("--clients", type=int, default=100, help="the scenario's clients (default 100)")
    parser.add_argument("--per-client", type=float, default=120.0,
                        help="requests per client per second (default 120: 12,000/s offered)")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds between cases (default 5)")
    parser.add_argument("--quiet-timeout", type=float, default=900.0,
                        help="wait at most this long for a quiet machine first (default 900; 0: do not wait)")
    parser.add_argument("--out", type=Path, default=Path("results/workers-bench"),
                        help="folder for summary.md (default results/workers-bench)")
    parser.add_argument("--clean", action="store_true", help="remove what a killed run left, and exit")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600 or not 0 <= args.warmup <= 120 or not 0 <= args.pause <= 120:
        parser.error("--seconds must be in [1, 600], --warmup and --pause in [0, 120]")
    if not 1 <= args.clients <= 10000 or not 0 < args.per_client <= 1e6:
        parser.error("--clients must be in [1, 10000] and --per-client in (0, 1e6]")
    if not 0 <= args.quiet_timeout <= 3600:
        parser.error("--quiet-timeout must be in [0, 3600]")
    client = docker.from_env()
    if args.clean:
        return clean(client)
    if missing := missing_requirement(client):
        print(f"bench-workers: {missing}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupted)
    stack = contextlib.ExitStack()
    try:
        summary = run(args, stack, client)
    except KeyboardInterrupt:
        print("bench-workers: interrupted; removing what it started", file=sys.stderr)
        return 130
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # the cleanup is not cut short
            signal.signal(signum, signal.SIG_IGN)
        stack.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text(summary)
    (args.out / f"run-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(summary)
    print(f"\n{summary}\nwritten to {args.out / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
