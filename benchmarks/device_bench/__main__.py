"""`make bench-device` (or `python -m benchmarks.device_bench`): the kernel device beside the
proxy, in one run, on one path (three network namespaces: clients | device | services).

Sections: shaping (1 / 10 / 50 MB/s x 1 / 10 / 100 streams), setups (a 10x surge against the
setup rate), table (the connection limit under held connections), path (single-stream
throughput and round trips at 1,000/s with no limits, beside plain kernel forwarding).
Prints Markdown and writes it, with the rows as JSON, under --out; exits 1 if a figure misses
its tolerance. Needs root. About 6 minutes at the default 10 s window for both devices.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

from benchmarks.device_bench import sections
from benchmarks.device_bench import services as served
from benchmarks.device_bench.devices import DeviceProcess
from benchmarks.device_bench.services import ServicesProcess
from benchmarks.device_bench.topology import (
    DEVICE_CLIENTS_ADDRESS,
    SERVICE_ADDRESS,
    Topology,
    missing_requirement,
)
from benchmarks.markdown import markdown_table
from router.netns import in_netns

SECTIONS = ["shaping", "setups", "table", "path"]
DEVICES = ["proxy", "kernel"]
TITLES = {"shaping": "Shaping: the configured rate against what passed",
          "setups": f"Setups under a {sections.SURGE_FACTOR}x surge",
          "table": "The connection table",
          "path": "What the device adds to the path (no limits)"}


async def measure_device(args: argparse.Namespace, kind: str, netns: str,
                         services: ServicesProcess) -> tuple[dict[str, list[dict]], list]:
    rows: dict[str, list[dict]] = {}
    checks: list[sections.Check] = []
    async with DeviceProcess(kind, netns, sections.LINKS) as device:
        for name in args.only:
            started = time.monotonic()
            if held_over := await asyncio.to_thread(device.forget_connections):
                print(f"{kind}: before {name}, the connection table held {held_over} (flushed)",
                      file=sys.stderr, flush=True)
            if name == "shaping":
                found, held = await sections.shaping(device, args.seconds, args.warmup)
            elif name == "setups":
                found, held = await sections.setups(device, services, args.seconds, args.warmup)
            elif name == "table":
                found, held = await sections.table(device, services, args.seconds)
            else:
                await device.limit({})
                found, held = [await sections.path(kind, DEVICE_CLIENTS_ADDRESS, sections.LINKS["stream"][0],
                                                   sections.LINKS["small"][0], args.seconds, args.warmup)], []
            rows[name], checks = found, checks + held
            print(f"{kind}: {name} measured in {time.monotonic() - started:.0f} s",
                  file=sys.stderr, flush=True)
    return rows, checks


def measure(args: argparse.Namespace) -> tuple[dict[str, list[dict]], list]:
    """Each device on fresh namespaces (the kernel device's rules outlive its agent), the plain
    path first. The clients' side is this process: its sockets are made on a thread that
    entered the clients' namespace (router/netns.py) and runs the measurement's event loop."""
    rows: dict[str, list[dict]] = {name: [] for name in args.only}
    checks: list[sections.Check] = []
    if "path" in args.only:
        with Topology() as topology, ServicesProcess(topology.services, SERVICE_ADDRESS):
            rows["path"].append(in_netns(topology.clients, lambda: asyncio.run(sections.path(
                "direct (kernel forwarding)", SERVICE_ADDRESS, served.SOURCE_PORT, served.ECHO_PORT,
                args.seconds, args.warmup))))
    for kind in args.devices:
        with Topology() as topology, ServicesProcess(topology.services, SERVICE_ADDRESS) as services:
            found, held = in_netns(topology.clients, lambda: asyncio.run(
                measure_device(args, kind, topology.device, services)))  # noqa: B023 (called at once)
        for name, more in found.items():
            rows[name] += more
        checks += held
    if "path" in rows:
        sections.with_added_latency(rows["path"])
    return rows, checks


def report(args: argparse.Namespace, rows: dict[str, list[dict]], checks: list, elapsed: float) -> str:
    held = sum(check.held for check in checks)
    lines = [f"# Device benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}: "
             f"{os.cpu_count()} cores, kernel {platform.release()}, Python {platform.python_version()}",
             "",
             f"Devices: {', '.join(args.devices)}; window {args.seconds} s after {args.warmup} s; "
             f"{elapsed:.0f} s in all. `{' '.join(['python -m benchmarks.device_bench', *sys.argv[1:]])}`",
             "",
             "Payload is counted at the clients' sockets, connections at the service; each device's own "
             "count stands beside. Shaping is judged on the payload: the proxy's within 2%, the kernel "
             "device's within 3% (its htb meters each segment with its headers and is given the payload "
             "rate in those bytes; docs/kernel-device.md).", ""]
    for name, found in rows.items():
        lines += [f"## {TITLES[name]}", "", markdown_table(found), ""]
    lines += [f"**{held} of {len(checks)} checks held.**"]
    lines += [f"- missed: {check.what}" for check in checks if not check.held]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.device_bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="+", choices=DEVICES, default=DEVICES,
                        help="devices to measure, in this order (default: both)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS, help="sections to run")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window (default 10)")
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds before each window (default 1.5)")
    parser.add_argument("--out", type=Path, default=Path("results/device-bench"),
                        help="folder for report.md and rows.json (default results/device-bench)")
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 <= args.warmup <= 60:
        parser.error("--seconds must be in (0, 600] and --warmup in [0, 60]")
    if missing := missing_requirement():
        print(f"bench-device: {missing}", file=sys.stderr)
        return 2
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 2,000 attempts/s hold descriptors
    started = time.monotonic()
    rows, checks = measure(args)
    text = report(args, rows, checks, time.monotonic() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(text)
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(text)
    print(f"written: {args.out / 'report.md'}, {args.out / 'rows.json'}", file=sys.stderr)
    return 0 if all(check.held for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
