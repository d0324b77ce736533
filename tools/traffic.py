#!/usr/bin/env python3
"""`make traffic`: drive steady traffic through the running stack for a minute, and show it.

The stack must be up (`make traffic` runs `make up` first). Traffic comes from the locust
clients on the internal network, through the proxy, to the main-network services; every
few seconds this prints what Prometheus recorded. The run is bounded on locust's side too
(run_time), so the load stops by itself even if this script is killed.

Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for stormlab_common
from stormlab_common.compose import ComposeMissing, compose_command

PUBLISHED = {  # compose service -> its published container port
    "prometheus": 9090,
    "loadgen": 8089,
    "grafana": 3000,
    "proxy": 8474,
}

# One line per report: (column title, PromQL, format).
REPORT = [
    ("clients", "sum(stormlab_client_active_clients)", "{:>7.0f}"),
    ("ok req/s", 'sum(rate(stormlab_client_requests_total{outcome="success"}[10s]))', "{:>8.1f}"),
    # `or vector(0)`: no failure has happened yet, so no failure series exists.
    ("failed/s", 'sum(rate(stormlab_client_requests_total{outcome!="success"}[10s])) or vector(0)',
     "{:>8.1f}"),
    ("proxy conn/s", "sum(rate(stormlab_proxy_connection_attempts_total[10s]))", "{:>12.1f}"),
    ("proxy kB/s", "sum(rate(stormlab_proxy_bytes_total[10s])) / 1000", "{:>10.1f}"),
    ("service p99 ms", "1000 * histogram_quantile(0.99, sum by (le) "
                       "(rate(stormlab_service_request_duration_seconds_bucket[10s])))", "{:>14.1f}"),
]


def compose() -> list[str]:
    try:
        return compose_command()
    except ComposeMissing as exc:
        sys.exit(f"traffic: {exc}")


def published_url(service: str) -> str | None:
    """http://host:port where the service's port is published, or None if it is not running."""
    result = subprocess.run([*compose(), "port", service, str(PUBLISHED[service])],
                            capture_output=True, text=True)
    address = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if result.returncode != 0 or not address or address.endswith(":0"):
        return None
    return "http://" + address.replace("0.0.0.0", "127.0.0.1")


def post_form(url: str, fields: dict) -> dict:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=10) as r:
        body = r.read()
    return json.loads(body) if body.strip().startswith(b"{") else {}


def query(prometheus: str, promql: str) -> float | None:
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            result = json.load(response)["data"]["result"]
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return None
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if value != value else value  # NaN (no data yet) -> None


def print_where_to_look(urls: dict) -> None:
    print("\nWhere to look:")
    print(f"  locust (the clients)       {urls['loadgen']}")
    print(f"  Prometheus (ground truth)  {urls['prometheus']}/graph")
    print(f"  proxy admin API            {urls['proxy']}/links   (metrics: {urls['proxy']}/metrics)")
    if urls["grafana"]:
        print(f"  Grafana dashboards         {urls['grafana']}   (viewing needs no login)")
    else:
        print("  Grafana                    not running here (no registry to get its image from);")
        print("                             the same series are in Prometheus")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to drive traffic (default 60)")
    parser.add_argument("--clients", type=int, default=20, help="simulated internal clients (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="clients started per second")
    parser.add_argument("--every", type=float, default=5, help="seconds between reports")
    args = parser.parse_args()
    if args.seconds <= 0 or args.clients <= 0 or args.spawn_rate <= 0 or args.every <= 0:
        parser.error("--seconds, --clients, --spawn-rate and --every must be positive")

    urls = {service: published_url(service) for service in PUBLISHED}
    missing = [s for s in ("prometheus", "loadgen", "proxy") if not urls[s]]
    if missing:
        sys.exit(f"traffic: {', '.join(missing)} not running: start the stack with `make up`")

    print(f"Driving {args.clients} internal clients through the proxy for {args.seconds} s...")
    reply = post_form(f"{urls['loadgen']}/swarm", {
        "user_count": args.clients, "spawn_rate": args.spawn_rate, "run_time": f"{args.seconds}s"})
    if reply.get("success") is False:
        sys.exit(f"traffic: locust refused to start: {reply.get('message')}")
    print_where_to_look(urls)

    print("   t  " + "  ".join(title for title, _, _ in REPORT))
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < args.seconds:
            time.sleep(min(args.every, max(0.0, args.seconds - elapsed)))
            cells = []
            for title, promql, fmt in REPORT:
                value = query(urls["prometheus"], promql)
                cells.append(fmt.format(value) if value is not None else f"{'-':>{len(title)}}")
            print(f"{time.monotonic() - started:>4.0f}s " + "  ".join(cells), flush=True)
    except KeyboardInterrupt:
        print("\nInterrupted: stopping the clients.")
        try:
            urllib.request.urlopen(f"{urls['loadgen']}/stop", timeout=10)
        except (urllib.error.URLError, OSError) as exc:
            print(f"traffic: could not stop locust ({exc}); it stops by itself at run_time")
        return 130

    print("\nDone: the clients stopped. The stack keeps running (`make down` removes it).")
    print_where_to_look(urls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
