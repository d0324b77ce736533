"""Check the service's HTTP API against its own OpenAPI document with schemathesis, on a
replica of each role started locally:

    .venv/bin/python -m services.api_check [--roles kv,dns] [--max-examples 50] [--seed 1]

For each role it starts ``python -m services --config services/<file>.yml`` on a free port
of 127.0.0.1, waits until ``/health`` answers 200, runs schemathesis with
services/schemathesis.toml (every check, every phase: examples, coverage, fuzzing,
stateful) against ``/openapi.json``, then stops the replica. It prints each command and
exits 0 only when every run found no failure and no error. schemathesis is a development
dependency (the virtualenv's); the service image has none, and nothing here imports it.

Two runs per replica: every operation but the live change first, then the live change
with the settings it reads back (``/admin/config``). A random live change may set any
service time the contract allows (a minute a request): run among the others, it, not the
API, would decide how long their cases take and whether they time out.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import tenacity

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"control-plane": "api.yml", "dns": "dns.yml", "kv": "kv.yml",
           "monitoring-ingest": "monitoring.yml"}
SETTINGS = Path(__file__).with_name("schemathesis.toml")
RUNS = (["--exclude-operation-id", "admin_config_change"], ["--include-path", "/admin/config"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_replica(role: str, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "services", "--config", f"services/{CONFIGS[role]}",
               "--log-level", "WARNING", "--set", "host=127.0.0.1", "--set", f"port={port}",
               "--set", f"replica=check-{role}"]
    print("$", " ".join(command), flush=True)
    return subprocess.Popen(command, cwd=ROOT)


def wait_healthy(base: str, replica: subprocess.Popen, timeout: float = 20.0) -> None:
    def healthy() -> bool:
        if replica.poll() is not None:
            raise SystemExit(f"api_check: the replica exited with {replica.returncode}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    tenacity.Retrying(stop=tenacity.stop_after_delay(timeout), wait=tenacity.wait_fixed(0.1),
                      retry=tenacity.retry_if_result(lambda ok: not ok),
                      retry_error_callback=lambda state: _give_up(base, timeout))(healthy)


def _give_up(base: str, timeout: float):
    raise SystemExit(f"api_check: {base} not healthy after {timeout} s")


def schemathesis_command(base: str, selection: list[str], seed: int | None = None,
                         max_examples: int | None = None) -> list[str]:
    command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(SETTINGS),
               "run", base + "/openapi.json", *selection]
    if seed is not None:
        command += ["--seed", str(seed)]
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    return command


def check(role: str, seed: int | None, max_examples: int | None) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    replica = start_replica(role, port)
    try:
        wait_healthy(base, replica)
        codes = []
        for selection in RUNS:
            command = schemathesis_command(base, selection, seed, max_examples)
            print("$", " ".join(command), flush=True)
            codes.append(subprocess.run(command, cwd=ROOT).returncode)
        return max(codes)
    finally:
        replica.terminate()
        try:
            replica.wait(timeout=15)
        except subprocess.TimeoutExpired:
            replica.kill()
            replica.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.api_check",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", default=",".join(CONFIGS), help="comma-separated roles to check")
    parser.add_argument("--seed", type=int, help="overrides the seed in services/schemathesis.toml")
    parser.add_argument("--max-examples", type=int, help="overrides generation.max-examples there")
    args = parser.parse_args(argv)
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    unknown = sorted(set(roles) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown roles {unknown}; expected some of {', '.join(CONFIGS)}")
    results = {role: check(role, args.seed, args.max_examples) for role in roles}
    for role, code in results.items():
        print(f"{role}: {'no failures, no errors' if code == 0 else f'schemathesis exited with {code}'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
