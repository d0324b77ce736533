"""The services' side of the path, in a process of its own inside the services' namespace, so
that what it counts is not late when the clients' surge keeps the benchmark's loop busy:
an endless source (shaping, throughput), an echo (round trips) and a counting echo (setups and
the table), which records when each connection arrived and the most open at once.

The benchmark starts it (`ip netns exec NS python -m benchmarks.device_bench.services ADDRESS
SECONDS`) and asks over its stdin, one JSON line per question and per answer:
{"arrivals": [since, until]} (CLOCK_MONOTONIC, shared by every process) and {"peak": "reset"}
or {"peak": "read"}. It exits when its stdin closes or after SECONDS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.proxy_bench.peers import echo, endless_source

SOURCE_PORT, ECHO_PORT, COUNTED_PORT = 7001, 7002, 7003
ROOT = Path(__file__).resolve().parents[2]


class CountingEcho:
    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.open_now = 0
        self.most_open = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.arrivals.append(time.monotonic())
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await echo(reader, writer)
        finally:
            self.open_now -= 1

    def answer(self, question: dict) -> dict:
        if "arrivals" in question:
            since, until = question["arrivals"]
            return {"arrivals": sum(since <= t < until for t in self.arrivals)}
        if question.get("peak") == "reset":
            self.most_open = self.open_now
        return {"peak": self.most_open}


async def serve(address: str, seconds: float) -> None:
    counted = CountingEcho()
    servers = [await asyncio.start_server(handler, address, port, backlog=4096, reuse_address=True)
               for port, handler in ((SOURCE_PORT, endless_source), (ECHO_PORT, echo),
                                     (COUNTED_PORT, counted))]
    loop = asyncio.get_running_loop()
    questions = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(questions), sys.stdin)
    print(json.dumps({"ready": True}), flush=True)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while line := await questions.readline():
                print(json.dumps(counted.answer(json.loads(line))), flush=True)
    for server in servers:
        server.close()


class ServicesProcess:
    """The benchmark's handle on the services' process."""

    def __init__(self, netns: str, address: str, seconds: float = 3600):
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", "benchmarks.device_bench.services", address,
             str(seconds)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if "ready" not in json.loads(self.process.stdout.readline() or "{}"):
            self.close()
            raise RuntimeError("the services' process did not start")

    def ask(self, question: dict) -> dict:
        self.process.stdin.write(json.dumps(question) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def arrivals_between(self, since: float, until: float) -> int:
        return self.ask({"arrivals": [since, until]})["arrivals"]

    def reset_peak(self) -> None:
        self.ask({"peak": "reset"})

    def most_open(self) -> int:
        return self.ask({"peak": "read"})["peak"]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> ServicesProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], float(sys.argv[2])))
