"""Start order where nothing orders the start (a Swarm stack ignores ``depends_on``):
``python3 -m stormlab_common.wait_for [--timeout S] --url URL [--url URL ...] -- COMMAND ...``
waits until every URL answers 2xx (each dependency's own health check, see
stormlab_common/healthcheck.py), then becomes COMMAND. Past the timeout it exits 1 naming what
never answered, and the orchestrator restarts the task: a wait is bounded, as every loop here is.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from stormlab_common.healthcheck import check

POLL_SECONDS = 1.0


def wait(urls: list[str], timeout: float, probe: Callable[[str], str | None] = check,
         clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """Poll until every URL is healthy or ``timeout`` passes; the reasons of those still not."""
    deadline = clock() + timeout
    waiting = list(urls)
    while True:
        reasons = {url: reason for url in waiting if (reason := probe(url))}
        waiting = list(reasons)
        if not waiting or clock() >= deadline:
            return list(reasons.values())
        sleep(POLL_SECONDS)


def main(argv: list[str] | None = None, execute: Callable[[str, list[str]], None] = os.execvp) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print("wait_for: usage: python3 -m stormlab_common.wait_for [--timeout S] --url URL ... "
              "-- COMMAND ...", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="python3 -m stormlab_common.wait_for")
    parser.add_argument("--url", action="append", default=[], help="wait until it answers 2xx (repeatable)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before giving up (default 300)")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if not command:
        print("wait_for: nothing to run after '--'", file=sys.stderr)
        return 2
    started = time.monotonic()
    still = wait(args.url, args.timeout)
    if still:
        print(f"wait_for: not healthy after {args.timeout:.0f} s: " + "; ".join(still), file=sys.stderr)
        return 1
    if args.url:
        waited = time.monotonic() - started
        print(f"wait_for: {', '.join(args.url)} healthy after {waited:.1f} s", file=sys.stderr)
    execute(command[0], command)
    return 0  # only reached when ``execute`` returns (tests)


if __name__ == "__main__":
    sys.exit(main())
