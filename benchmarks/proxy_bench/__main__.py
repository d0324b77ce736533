"""`make bench-proxy` (or `python -m benchmarks.proxy_bench`): measure the proxy's figures
and print them as Markdown tables, with the conditions they were measured under.

Sections: shaping (with tc tbf as reference), connections (limits under a surge), setups (no
limits, beside nginx stream and HAProxy), throughput (one stream, beside them and iperf3
direct), overhead (added latency, beside nginx stream), idle (8,000 connections). Shaping
alone takes about 4 minutes at the default 10 s window.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time

from benchmarks.markdown import markdown_table
from benchmarks.proxy_bench import sections

SECTIONS = ["shaping", "connections", "setups", "throughput", "overhead", "idle"]



async def run(args: argparse.Namespace) -> None:
    print(f"# proxy benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}: "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, window {args.seconds} s\n")
    for name in args.only:
        started = time.monotonic()
        if name == "idle":
            rows, notes = await sections.idle_connections(args.connections)
        else:
            rows, notes = await getattr(sections, name)(args.seconds, args.warmup)
        print(f"## {name} ({time.monotonic() - started:.0f} s)\n\n{markdown_table(rows)}\n")
        for note in notes:
            print(f"- {note}")
        print(flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.proxy_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS, help="sections to run")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window (default 10)")
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds before each window (default 1.5)")
    parser.add_argument("--connections", type=int, default=8000, help="idle connections (default 8000)")
    args = parser.parse_args()
    if args.seconds <= 0 or args.warmup < 0 or args.connections <= 0:
        parser.error("--seconds and --connections must be positive, --warmup not negative")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
