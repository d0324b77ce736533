"""The scaling activity (the trigger), run from the host:

    .venv/bin/python -m services.scaling --service kv --replicas 3

1. scales the compose service to N replicas (``compose up --scale``, existing replicas
   left running; on a Swarm stack of that name, ``docker service scale``);
2. waits until every replica is healthy;
3. announces the new membership (every replica's id and address on the main network) to
   the ``dns`` replicas, which bump its version; clients polling
   ``GET /v1/membership/{service}`` through the proxy see the change and reconnect.

Without ``--replicas`` it only announces the current membership. It says what it did in a
sentence (replicas, the membership's new version, what the clients do about it); with
``--json``, it prints the published membership as JSON instead, with the wall-clock time of
the announcement (for annotations and scripts).

No container gets the Docker socket: this runs on the host, with the Docker SDK from the
development virtualenv, and reaches the dns admin API by running a few lines of Python in
the dns containers (``docker exec``), as the dns admin port is not published. The module
imports the SDK only when run, so it stays importable inside the service image.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import tenacity

from stormlab_common.compose import ComposeMissing, compose_command

ROOT = Path(__file__).resolve().parents[1]
SERVICE_PORT = 8080

# Runs inside a dns container: PUT the announcement to its own admin API, print the answer.
ANNOUNCE = """
import json, sys, urllib.request
request = urllib.request.Request(
    "http://127.0.0.1:{port}/admin/membership/{service}", data=sys.argv[1].encode(),
    method="PUT", headers={{"Content-Type": "application/json"}})
with urllib.request.urlopen(request, timeout=10) as response:
    print(response.read().decode())
"""


def _compose() -> list[str]:
    try:
        return compose_command()
    except ComposeMissing as exc:
        raise SystemExit(f"scaling: {exc}") from None


def on_swarm(client, project: str) -> bool:
    """Whether ``project`` runs as a Swarm stack (make swarm-up) rather than a Compose project."""
    if client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"}):
        return False
    if not client.info().get("Swarm", {}).get("ControlAvailable"):
        return False
    return bool(client.services.list(filters={"label": f"com.docker.stack.namespace={project}"}))


def scale(project: str, service: str, replicas: int, swarm: bool = False) -> None:
    env = {**os.environ, "COMPOSE_PROJECT_NAME": project}
    if swarm:
        command = ["docker", "service", "scale", "--detach", f"{project}_{service}={replicas}"]
    else:
        command = [*_compose(), "up", "-d", "--no-deps", "--no-recreate", "--scale", f"{service}={replicas}",
                   service]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"scaling: {'docker service scale' if swarm else 'compose'} failed:\n"
                         f"{done.stdout}{done.stderr}")


def replicas_of(client, project: str, service: str) -> list:
    """The running replicas, of a Compose project or (none there) of a Swarm stack's service."""
    return (client.containers.list(filters={"label": [f"com.docker.compose.project={project}",
                                                      f"com.docker.compose.service={service}"]})
            or client.containers.list(filters={"label": [f"com.docker.stack.namespace={project}",
                                                         f"com.docker.swarm.service.name={project}_{service}"]}))


def health_of(client, project: str, service: str, replicas: int | None) -> tuple[list, list[str], bool]:
    """The service's containers, their health, and whether they are all there and healthy."""
    containers = replicas_of(client, project, service)
    health = [c.attrs["State"].get("Health", {}).get("Status", "none") for c in containers]
    counted = replicas is None or len(containers) == replicas
    return containers, health, counted and all(status in ("healthy", "none") for status in health)


def wait_healthy(client, project: str, service: str, replicas: int | None, timeout: float,
                 poll_seconds: float = 0.5) -> list:
    def give_up(state: tenacity.RetryCallState):
        _, health, _ = state.outcome.result()
        raise SystemExit(f"scaling: {service} not healthy after {timeout} s: {health}")

    poll = tenacity.Retrying(stop=tenacity.stop_after_delay(timeout), wait=tenacity.wait_fixed(poll_seconds),
                             retry=tenacity.retry_if_result(lambda found: not found[2]),
                             retry_error_callback=give_up)
    return poll(health_of, client, project, service, replicas)[0]


def endpoints_of(containers: list, network: str) -> list[dict[str, str]]:
    """Each replica's id (its host name, which the service uses as its replica label) and
    its address on the main network."""
    return [{"replica": c.attrs["Config"]["Hostname"],
             "address": f"{c.attrs['NetworkSettings']['Networks'][network]['IPAddress']}:{SERVICE_PORT}"}
            for c in containers]


def announce(client, project: str, dns_service: str, service: str, endpoints: list[dict]) -> list[dict]:
    """Announce to every dns replica (each keeps its own copy); return their answers."""
    answers = []
    body = json.dumps({"endpoints": endpoints})
    for dns in replicas_of(client, project, dns_service):
        code = ANNOUNCE.format(port=SERVICE_PORT, service=service)
        exit_code, output = dns.exec_run(["python3", "-c", code, body])
        if exit_code != 0:
            raise SystemExit(f"scaling: announcing to {dns.name} failed:\n{output.decode()}")
        answers.append(json.loads(output.decode().strip().splitlines()[-1]))
    if not answers:
        raise SystemExit(f"scaling: no running {dns_service} container in project {project}")
    return answers


def told(service: str, before: int | None, replicas: int, answers: list[dict]) -> str:
    """What was done, in a sentence: ``before`` is the replica count before scaling (None: not
    scaled, only announced); ``answers`` what the dns replicas answered the announcement."""
    published = answers[0]
    count = f"{replicas} replica{'s' * (replicas != 1)}"
    if before is None:
        done = f"{service} runs {count}, healthy"
    elif before == replicas:
        done = f"{service} already ran {count}, healthy"
    else:
        done = f"scaled {service} from {before} to {count}, all healthy"
    where = f"{len(answers)} dns replica{'s' * (len(answers) != 1)}"
    if published.get("changed"):
        return (f"scaling: {done}; announced to {where} as membership version {published['version']} of "
                f"{service}: clients polling GET /v1/membership/{service} through the proxy see the new "
                "version and reconnect.")
    endpoints = len(published["endpoints"])
    return (f"scaling: {done}; its membership is unchanged (version {published['version']}, the same "
            f"{endpoints} endpoint{'s' * (endpoints != 1)}), so {where} kept it and the clients keep their "
            "connections.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", required=True, help="compose service to scale, e.g. kv")
    parser.add_argument("--replicas", type=int, help="replicas wanted; omit to only announce")
    parser.add_argument("--project", default=os.environ.get("COMPOSE_PROJECT_NAME", "stormlab"))
    parser.add_argument("--dns-service", default="dns", help="compose service publishing memberships")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for health")
    parser.add_argument("--json", action="store_true",
                        help="print the published membership as JSON (one line) instead of a sentence")
    args = parser.parse_args(argv)
    if args.replicas is not None and args.replicas < 1:
        parser.error("--replicas must be at least 1")
    import docker  # host-side only: the service image has no Docker SDK

    client = docker.from_env()
    before = None
    if args.replicas is not None:
        before = len(replicas_of(client, args.project, args.service))
        scale(args.project, args.service, args.replicas, swarm=on_swarm(client, args.project))
    containers = wait_healthy(client, args.project, args.service, args.replicas, args.timeout)
    answers = announce(client, args.project, args.dns_service, args.service,
                       endpoints_of(containers, f"{args.project}_main"))
    print(json.dumps(answers[0]) if args.json else told(args.service, before, len(containers), answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
