"""`make bench-proxy-compare BASE=rev` (or `python -m benchmarks.proxy_bench.compare --base REV`):
the proxy of another revision and the working tree's, measured in rounds run in turn.

On a VM whose speed drifts by 20% from one minute to the next, one run of each says little
about a change worth 5%; rounds in turn (base, new, base, new, ...) against the same far end
put both under the same drift, and the medians compare them. Each round measures setups/s
(wrk, a connection per request, to an nginx origin) with the proxy's user and kernel CPU per
setup, or single-stream MB/s (iperf3), the proxy on one core and the load on the other, as
the setups and throughput sections of `make bench-proxy` do.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.markdown import markdown_table
from benchmarks.proxy_bench.native import Iperf3Server, NginxOrigin, iperf3_stream, wrk_setups
from benchmarks.proxy_bench.sections import DEVICE_CPUS, LOAD_CPUS, cpu_split
from benchmarks.proxy_bench.targets import ROOT, ProxyProcess

MEASURES = ("setups", "throughput")


def export_revision(revision: str, into: Path) -> None:
    """The tree of ``revision`` (anything git names), unpacked into ``into``."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision],
                                 capture_output=True, check=True, timeout=60).stdout
    except FileNotFoundError as exc:
        raise SystemExit("--base needs git, which is not installed") from exc
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"--base {revision!r}: git cannot name it ({exc.stderr.decode().strip()})") from exc
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True, timeout=60)


async def setups_round(root: Path, origin_port: int, seconds: float, warmup: float) -> dict:
    async with ProxyProcess(DEVICE_CPUS, "auto", root=root) as proxy:
        port = await proxy.link("setups", origin_port)
        await asyncio.to_thread(wrk_setups, port, warmup, LOAD_CPUS)
        (user_before, kernel_before), started = cpu_split(proxy.pid), time.monotonic()
        result = await asyncio.to_thread(wrk_setups, port, seconds, LOAD_CPUS)
        elapsed = time.monotonic() - started
        user_after, kernel_after = cpu_split(proxy.pid)
    setups = max(1.0, result["per_second"] * elapsed)
    return {"setups/s": result["per_second"], "us per setup, user": (user_after - user_before) / setups * 1e6,
            "us per setup, kernel": (kernel_after - kernel_before) / setups * 1e6,
            "errors": result["socket_errors"] + result["non_2xx"]}


async def throughput_round(root: Path, server_port: int, seconds: float, warmup: float) -> dict:
    async with ProxyProcess(DEVICE_CPUS, "auto", root=root) as proxy:
        port = await proxy.link("stream", server_port)
        rate = await asyncio.to_thread(iperf3_stream, port, seconds, LOAD_CPUS, warmup)
    return {"MB/s": rate / 1e6}


async def compare(trees: dict[str, Path], measure: str, rounds: int, seconds: float,
                  warmup: float) -> list[dict]:
    far_end = NginxOrigin(LOAD_CPUS) if measure == "setups" else Iperf3Server(LOAD_CPUS)
    one_round = setups_round if measure == "setups" else throughput_round
    results: dict[str, list[dict]] = {name: [] for name in trees}
    with far_end:
        for number in range(1, rounds + 1):
            for name, root in trees.items():
                result = await one_round(root, far_end.port, seconds, warmup)
                results[name].append(result)
                figures = ", ".join(f"{key} {value:,.0f}" for key, value in result.items())
                print(f"round {number}/{rounds}, {name}: {figures}", flush=True)
    rows = []
    for name, runs in results.items():
        row = {"tree": name, "rounds": len(runs)}
        for key in runs[0]:
            values = [run[key] for run in runs]
            row[f"{key} (median)"] = round(statistics.median(values))
            row[f"{key} (range)"] = f"{min(values):,.0f}-{max(values):,.0f}"
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.proxy_bench.compare",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True,
                        help="the revision to compare with (a commit, a tag, HEAD~1)")
    parser.add_argument("--measure", choices=MEASURES, default="setups")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each (default 4)")
    parser.add_argument("--seconds", type=float, default=4.0, help="measurement window per round (default 4)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each window (default 2)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--rounds and --seconds must be positive, --warmup not negative")
    missing = NginxOrigin.missing() if args.measure == "setups" else Iperf3Server.missing()
    if missing:
        parser.error(missing)
    with tempfile.TemporaryDirectory(prefix="stormlab-base-") as base:
        export_revision(args.base, Path(base))
        rows = asyncio.run(compare({f"base ({args.base})": Path(base), "working tree": ROOT},
                                   args.measure, args.rounds, args.seconds, args.warmup))
    print(f"\n## {args.measure}: {args.rounds} rounds in turn, {args.seconds:g} s each\n\n"
          f"{markdown_table(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
