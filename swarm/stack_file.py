"""The stack file ``docker stack deploy`` takes, made from the Compose definitions themselves
(``$COMPOSE config``: docker-compose.yml and every file COMPOSE_FILE / STORMLAB_COMPOSE_FILES
adds, with the variables already filled in), so there is no second copy of the topology.

What Swarm ignores or refuses is handled here, one rule per key:

- ``build``, ``container_name``, ``restart``: dropped (images are built beforehand, by
  ``make images``; Swarm names tasks and restarts them itself);
- ``depends_on``: Swarm orders nothing, and refuses the long form. Each dependant that runs
  Python instead waits for what it needs before its own entrypoint: ``stormlab_common.wait_for``
  polls each dependency's own health-check URL, by the dependency's service name;
- ``ports``: Swarm cannot bind a published port to one address (a Compose ``127.0.0.1:``
  prefix is ignored, with a warning), and its ingress mesh rewrites client addresses, so every
  port is published in ``mode: host``, on every address of the node (swarm/up.sh says so:
  keep the node's firewall closed to them);
- ``ulimits``: services take them only from Engine 23 (API 1.42); dropped on an older one,
  where the daemon's default applies (``check_nofile`` in swarm/up.sh says which);
- networks: overlay, one per Compose network, so a client task still has no route to a
  service task but through the device; internal (no way out of the swarm), because a task on a
  non-internal overlay network routes every address it has no network for to the node's own
  default route: a client's packet to a service's overlay address would leave the machine
  instead of finding no route; attachable, so a container run beside the stack (a test's
  probe, a worker on the same node) can join one. A task that publishes a port needs a way out
  for it (Docker publishes through the node's docker_gwbridge, which internal networks do not
  get), so those tasks alone also join EDGE_NETWORK: the proxy's admin API, the locust master,
  Prometheus, the Pushgateway, Grafana; none of them is a client, and no service is on it;
- ``deploy``: every service answers DNS with each task's address (``endpoint_mode: dnsrr``),
  as Compose does, so Prometheus's DNS discovery and the runner find every replica; all but
  the client workers are placed on a manager: the device is one device on one machine, as the
  real one was, and its config files are bind mounts from this checkout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

DROPPED_KEYS = ("build", "container_name", "restart", "depends_on", "ulimits")
ANYWHERE = ("loadgen-worker",)  # may run on any node: they only send load, from wherever they are
PLACED_ON_MANAGER = ["node.role == manager"]
PYTHON_ENTRYPOINTS = ("python3", "locust")  # images with python3 and stormlab_common in them
EDGE_NETWORK = "edge"  # the publishing tasks' way out (see above); no service of the main network is on it
WAIT_SECONDS = 300  # a dependant gives up (and Swarm restarts it) after this long


class StackFileError(ValueError):
    """The Compose definitions hold something the stack file cannot say."""


def stack_file(compose: Mapping[str, Any], entrypoints: Mapping[str, list[str]],
               supports_ulimits: bool = False) -> dict[str, Any]:
    """The stack file for ``compose`` (``$COMPOSE config``'s output, parsed). ``entrypoints``:
    each image's entrypoint, as ``docker image inspect`` gives it (the wait goes before it)."""
    services = compose.get("services") or {}
    stack: dict[str, Any] = {"version": "3.9", "services": {}, "networks": {}, "volumes": {}}
    for name, service in services.items():
        stack["services"][name] = _service(name, service, services, entrypoints, supports_ulimits)
    networks = compose.get("networks") or {}
    if EDGE_NETWORK in networks:
        raise StackFileError(f"a Compose network is named {EDGE_NETWORK!r}, the name the stack file gives "
                             "the publishing tasks' network; rename it")
    for name, network in networks.items():
        stack["networks"][name] = _network(name, network or {})
    if any(service.get("ports") for service in stack["services"].values()):
        stack["networks"][EDGE_NETWORK] = {"driver": "overlay", "attachable": True}
    for name, volume in (compose.get("volumes") or {}).items():
        stack["volumes"][name] = {k: v for k, v in (volume or {}).items() if k != "name"}
    return {key: value for key, value in stack.items() if value or key in ("version", "services")}


def _service(name: str, service: Mapping[str, Any], services: Mapping[str, Any],
             entrypoints: Mapping[str, list[str]], supports_ulimits: bool) -> dict[str, Any]:
    if "image" not in service:
        raise StackFileError(f"service {name!r} has no image: Swarm runs only built images (make images)")
    if service.get("network_mode"):
        raise StackFileError(f"service {name!r} uses network_mode {service['network_mode']!r}, which "
                             "Swarm services cannot; give it networks instead")
    converted = {key: value for key, value in service.items()
                 if key not in DROPPED_KEYS and key not in ("ports", "deploy", "scale")}
    if supports_ulimits and "ulimits" in service:
        converted["ulimits"] = service["ulimits"]
    if service.get("ports"):
        converted["ports"] = [_host_mode_port(name, port) for port in service["ports"]]
        networks = service.get("networks") or {"default": None}
        converted["networks"] = ({**networks, EDGE_NETWORK: None} if isinstance(networks, Mapping)
                                 else [*networks, EDGE_NETWORK])
    waits = [_health_url(dependency, services.get(dependency) or {})
             for dependency in _dependencies(service.get("depends_on"))]
    waits = [url for url in waits if url]
    if waits:
        entrypoint = service.get("entrypoint") or entrypoints.get(service["image"]) or []
        if isinstance(entrypoint, str):
            entrypoint = entrypoint.split()
        if entrypoint and entrypoint[0] in PYTHON_ENTRYPOINTS:
            converted["entrypoint"] = ["python3", "-m", "stormlab_common.wait_for",
                                       "--timeout", str(WAIT_SECONDS),
                                       *(arg for url in waits for arg in ("--url", url)), "--", *entrypoint]
        # else: an image without python3 (Grafana's) starts at once; what it needs, it retries
    deploy = dict(service.get("deploy") or {})
    deploy["endpoint_mode"] = "dnsrr"
    if service.get("scale") is not None and "replicas" not in deploy:
        deploy["replicas"] = service["scale"]
    if name not in ANYWHERE:
        placement = dict(deploy.get("placement") or {})
        constraints = list(placement.get("constraints", []))
        placement["constraints"] = constraints + [c for c in PLACED_ON_MANAGER if c not in constraints]
        deploy["placement"] = placement
    converted["deploy"] = deploy
    return converted


def _dependencies(depends_on: Any) -> list[str]:
    if not depends_on:
        return []
    return list(depends_on) if isinstance(depends_on, (list, dict)) else [depends_on]


def _health_url(name: str, service: Mapping[str, Any]) -> str | None:
    """The URL of ``name``'s own health check, as another task reaches it (by service name)."""
    test = (service.get("healthcheck") or {}).get("test") or []
    if isinstance(test, str):
        test = test.split()
    for word in test:
        if isinstance(word, str) and word.startswith(("http://", "https://")):
            parts = urlsplit(word)
            if parts.hostname in ("127.0.0.1", "localhost", "::1"):
                port = f":{parts.port}" if parts.port else ""
                return urlunsplit((parts.scheme, f"{name}{port}", parts.path, parts.query, ""))
            return word
    return None


def _host_mode_port(service: str, port: Any) -> dict[str, Any]:
    """A Compose port (short "[ip:][published:]target[/proto]" or long form) in mode host."""
    if isinstance(port, Mapping):
        target, published = port.get("target"), port.get("published")
        protocol = port.get("protocol", "tcp")
    else:
        text, _, protocol = str(port).partition("/")
        parts = text.rsplit(":", 2)
        target = parts[-1]
        published = parts[-2] if len(parts) >= 2 else None
        protocol = protocol or "tcp"
    try:
        converted: dict[str, Any] = {"target": int(target), "protocol": protocol, "mode": "host"}
        if published not in (None, ""):
            converted["published"] = int(published)
    except (TypeError, ValueError):
        raise StackFileError(f"service {service!r}: port {port!r} is not [address:][published:]target; "
                             "Swarm takes one port per entry, no ranges") from None
    return converted  # without "published", Docker picks a free port, as Compose does


def _network(name: str, network: Mapping[str, Any]) -> dict[str, Any]:
    if network.get("external"):
        return dict(network)
    driver = network.get("driver", "bridge")
    if driver not in ("bridge", "overlay"):
        raise StackFileError(f"network {name!r} uses driver {driver!r}; on Swarm a stack network is overlay")
    converted = {k: v for k, v in network.items() if k not in ("driver", "name")}
    converted.update(driver="overlay", attachable=True, internal=True)
    return converted


def _image_entrypoints(images: list[str]) -> dict[str, list[str]]:
    found = {}
    for image in images:
        inspect = ["docker", "image", "inspect", "--format", "{{json .Config.Entrypoint}}", image]
        done = subprocess.run(inspect, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackFileError(f"image {image} is not here: build it first (make images); "
                                 "on several nodes, every node needs it (docs/past-one-machine.md)")
        found[image] = json.loads(done.stdout) or []
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m swarm.stack_file",
        description="Read `$COMPOSE config` on stdin; write the Swarm stack file on stdout.")
    parser.add_argument("--ulimits", action="store_true", help="the Engine takes ulimits for services (23+)")
    parser.add_argument("--only", default="", help="the services to keep, comma-separated (default: all)")
    args = parser.parse_args(argv)
    try:
        compose = yaml.safe_load(sys.stdin)
        if not isinstance(compose, dict) or "services" not in compose:
            raise StackFileError("stdin is not a Compose file's config (no services)")
        if args.only:
            keep = set(args.only.split(","))
            compose["services"] = {k: v for k, v in compose["services"].items() if k in keep}
        images = sorted({service["image"] for service in compose["services"].values() if "image" in service})
        stack = stack_file(compose, _image_entrypoints(images), supports_ulimits=args.ulimits)
    except (StackFileError, yaml.YAMLError) as exc:
        print(f"swarm: {exc}", file=sys.stderr)
        return 2
    yaml.safe_dump(stack, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
