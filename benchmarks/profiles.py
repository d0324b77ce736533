"""`make profile` (or `python -m benchmarks.profiles`): pyinstrument profiles of the proxy and of
a client worker under a storm's kind of load, summarised (docs/clients.md and docs/proxy.md,
"Profiles").

- proxy: wrk opening a new connection per request (``Connection: close``), as a retry storm's
  naive clients do, through a link with no limits to an nginx origin; the proxy on one core.
- worker: one locust worker process offered more attempts than it can send, a new connection
  per attempt, against the same origin; the worker on one core.

Each writes the full call tree (results/profiles/<name>.txt) and prints where the time went,
by library, and the functions that spent most of it themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.clients_bench.__main__ import our_clients
from benchmarks.markdown import markdown_table
from benchmarks.proxy_bench.native import NginxOrigin, wrk_setups
from benchmarks.proxy_bench.targets import ProxyProcess

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "profiles"
UNDER_TEST, LOAD = {0}, {1}
# A line of pyinstrument's flat text output: "<seconds> <function>  <file>[:line]"
FLAT_LINE = re.compile(r"^\s*([\d.]+)\s+(.+?)\s{2}(\S.*)$")


GROUPS = (("importlib", "the event loop's C code (uvloop) and its system calls"),
          ("asyncio/runners.py", "the event loop's C code (uvloop) and its system calls"),
          ("loadgen/", "loadgen"), ("proxy/", "proxy"), ("stormlab_common/", "stormlab_common"),
          ("gevent", "gevent"), ("locust", "locust"), ("prometheus_client", "prometheus_client"),
          ("httptools", "httptools"), ("asyncio", "asyncio (Python parts)"),
          ("<built-in>", "built-ins (socket calls, ...)"))


def group_of(location: str) -> str:
    for needle, group in GROUPS:
        if needle in location:
            return group
    return "other"


def summary(flat_text: str, top: int = 12) -> tuple[list[dict], list[dict]]:
    """Self time by library, and the functions with most self time, from a flat profile."""
    rows = [(float(m.group(1)), m.group(2), m.group(3)) for line in flat_text.splitlines()
            if (m := FLAT_LINE.match(line))]
    total = sum(seconds for seconds, _, _ in rows) or 1.0
    groups: dict[str, float] = defaultdict(float)
    for seconds, _, location in rows:
        groups[group_of(location)] += seconds
    by_group = [{"where": name, "share of samples": f"{seconds / total:.0%}"}
                for name, seconds in sorted(groups.items(), key=lambda item: -item[1])]
    functions = [{"function": name, "where": location, "share of samples": f"{seconds / total:.1%}"}
                 for seconds, name, location in sorted(rows, key=lambda row: -row[0])[:top]]
    return by_group, functions


async def profile_proxy(seconds: float) -> tuple[str, str]:
    with NginxOrigin(LOAD) as origin:
        proxy = ProxyProcess(UNDER_TEST, "auto", profile_to=OUT / "proxy")
        async with proxy:
            port = await proxy.link("storm", origin.port)
            result = await asyncio.to_thread(wrk_setups, port, seconds, LOAD)
            proxy.process.send_signal(signal.SIGINT)  # the proxy stops cleanly; pyinstrument writes
            await asyncio.to_thread(proxy.process.wait, 60)
    render(OUT / "proxy")
    return (OUT / "proxy.flat.txt").read_text(), f"{result['per_second']:,.0f} setups/s under the profiler"


def render(stem: Path) -> None:
    """A saved session as a call tree (<stem>.txt) and flat, by self time (<stem>.flat.txt)."""
    for suffix, options in ((".txt", []), (".flat.txt", ["-p", "flat=true"])):
        subprocess.run([sys.executable, "-m", "pyinstrument", "--load", f"{stem}.pyisession", "-r", "text",
                        "--show-all", *options, "-o", f"{stem}{suffix}"], check=True, cwd=ROOT)


def profile_worker(seconds: float, offered: float) -> tuple[str, str]:
    with NginxOrigin(LOAD) as origin:
        env = {**os.environ, **our_clients(origin.port, offered / 50, False, in_flight=4),
               "STORMLAB_PROFILE_OUTPUT": str(OUT / "worker")}
        before = origin.requests()
        started = time.monotonic()
        locustfile = "benchmarks/clients_bench/profiled_locustfile.py"
        subprocess.run([sys.executable, "-m", "locust", "-f", locustfile, "--headless", "-u", "50",
                        "-r", "50", "--run-time", f"{int(seconds)}s", "--only-summary"],
                       cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       preexec_fn=lambda: os.sched_setaffinity(0, UNDER_TEST), timeout=seconds + 60,
                       check=True)
        rate = (origin.requests() - before - 1) / (time.monotonic() - started)
    render(OUT / "worker")
    load = f"{rate:,.0f} attempts/s under the profiler (offered {offered:,.0f})"
    return (OUT / "worker.flat.txt").read_text(), load


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiles",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=["proxy", "worker"], default=["proxy", "worker"])
    parser.add_argument("--seconds", type=float, default=10.0, help="profiled load (default 10)")
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    if (os.cpu_count() or 1) < 2:
        parser.error("needs two cores: one for what is profiled, one for the load")
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"# profiles, {time.strftime('%Y-%m-%d %H:%M')} "
          f"(pyinstrument; full trees in {OUT.relative_to(ROOT)})\n")
    for name in args.only:
        flat, load = asyncio.run(profile_proxy(args.seconds)) if name == "proxy" else profile_worker(
            args.seconds, 6000)
        by_group, functions = summary(flat)
        print(f"## {name}: {load}\n\n{markdown_table(by_group)}\n\n{markdown_table(functions)}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
