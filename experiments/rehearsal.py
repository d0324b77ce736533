"""The lab on paper: each change experiments/lab.py would send, built by the same functions
(experiments/change_bodies.py) and checked by the rules the component receiving it applies
(stormlab_common/contracts/), over the state the stack's definition and the earlier changes
leave. Nothing is sent; every refusal is noted with where the scenario writes the change.

It takes the calls the real lab takes, so an operator action rehearses by running its own
``apply`` here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from experiments.change_bodies import (
    client_patch_for_run,
    client_setting_patch,
    device_creation_body,
    switched_client_patch,
)
from experiments.clients.services import MEMBERSHIP_PUBLISHER
from stormlab_common.config import ConfigError, dotted
from stormlab_common.contracts import proxy
from stormlab_common.contracts.loadgen_patch import config_patch_problems
from stormlab_common.contracts.proxy_numbers import whole_numbers
from stormlab_common.contracts.service import live_change_problems, live_changed
from stormlab_common.model import parse, patched
from stormlab_common.scenario.stack_definition import StackDefinition

_PROFILE_PROBLEM = re.compile(r"^clients\.([a-z][a-z0-9_-]*)\.(([^.:]+)[^:]*: .*)$")


@dataclass(frozen=True)
class Where:
    """Where the scenario writes a change: its entry, the name of what it changes, its patch
    (each, if not given, the entry itself)."""

    entry: tuple
    target: tuple | None = None
    patch: tuple | None = None


class PaperLab:
    def __init__(self, stack: StackDefinition, client_count: int = 0):
        self.chunk_bytes = stack.proxy.chunk_bytes
        self.devices: dict[str, proxy.Device] = dict(stack.proxy.devices)
        self.links: dict[str, proxy.Link] = dict(stack.proxy.links)
        self.services = dict(stack.services)
        self.loadgen_base = stack.loadgen_base
        self.base_profiles = stack.base_profiles
        self.base_workload = stack.base_workload
        self.client_patch: dict | None = None  # the clients' config as last sent
        self._client_problems: list[str] = []  # ... and what was wrong with it, already noted
        self.client_count = client_count
        self.where = Where(())
        self.problems: list[str] = []

    # --- the proxy (proxy/topology.py: create_device, update_device, update_link) -------------------
    def patch_device(self, device: str, patch: dict) -> None:
        at, patch, new = self._patch_path(), whole_numbers(patch), None
        current = self.devices.get(device)
        if current is None:  # the lab creates it: its patch is the whole config of the new device
            body = device_creation_body(device, patch)
            created, problems = _attempt(lambda: parse(proxy.NewDevice, body, prefix=at))
            new = None if created is None else created.config
        else:
            problems = proxy.patch_problems(proxy.Device, current, patch, at)
            if not problems:
                new, problems = _attempt(lambda: patched(proxy.Device, current, patch, prefix=at))
        if new is not None:
            problems += proxy.device_problems(new, self.chunk_bytes, at)
        if self._noted(problems):
            self.devices[device] = new

    def patch_link(self, link: str, patch: dict) -> None:
        current = self.links.get(link)
        if current is None:
            self._noted([f"{dotted(self._target_path())}: unknown link {link!r}; the stack's links: "
                         f"{', '.join(sorted(self.links))}"])
            return
        at, patch, new = self._patch_path(), whole_numbers(patch), None
        problems = proxy.patch_problems(proxy.Link, current, patch, at)
        if not problems:
            new, problems = _attempt(lambda: proxy.patched_link(current, patch, prefix=at))
        if new is not None:
            problems += proxy.link_problems(new, self.devices, at)
            ports = {name: other.listen_port for name, other in self.links.items() if name != link}
            problems += [f"{dotted((*at, 'listen_port'))}: {clash.removeprefix('links: ')}"
                         for clash in proxy.duplicate_ports({**ports, link: new.listen_port})]
        if self._noted(problems):
            self.links[link] = new

    def put_link(self, link: str, config: dict) -> None:
        """A service under test's link: created (``POST /links``), or changed if the stack has one
        of that name."""
        if link in self.links:
            self.patch_link(link, config)
            return
        at = self._patch_path()
        created, problems = _attempt(lambda: parse(proxy.NewLink, {"name": link, **config}, prefix=at))
        if created is not None:
            problems += proxy.link_problems(created.config, self.devices, at)
            port = created.listen_port
            problems += [f"{dotted((*at, 'listen_port'))}: {port} is taken by link {name!r}; expected a port "
                         "no link of the stack listens on" for name, other in self.links.items()
                         if other.listen_port == port]
        if self._noted(problems):
            self.links[link] = created.config

    # --- the services (PATCH /admin/config, PUT /admin/membership) --------------------------------
    def patch_service(self, service: str, patch: dict) -> None:
        if self._known_service(service):
            current = self.services[service]
            if self._noted(live_change_problems(current, patch, self._patch_path())):
                self.services[service] = live_changed(current, patch)

    def announce_membership(self, service: str) -> None:
        if self._known_service(service) and MEMBERSHIP_PUBLISHER not in self.services:
            self._noted([f"{dotted(self._target_path())}: the stack has no {MEMBERSHIP_PUBLISHER} service "
                         "to announce memberships"])

    # --- the clients (PUT /stormlab/config, /swarm) -----------------------------------------------
    def configure_clients(self, patch: dict, seed: int) -> None:
        run = client_patch_for_run(patch, self.base_profiles, seed, self.base_workload)
        self.client_patch, self._client_problems = run, config_patch_problems(self.loadgen_base, run)
        at = dotted(self._patch_path())  # (a problem of a mapping always has a path of its own)
        self._noted([f"{at}.{problem}" for problem in self._client_problems])

    def patch_clients(self, profile_patch: dict) -> None:
        switched = lambda: switched_client_patch(self.client_patch, self.base_profiles, profile_patch)  # noqa: E731
        self._send_clients(switched, profile_patch)

    def set_client_setting(self, key: str, value: Any) -> None:
        self._send_clients(lambda: client_setting_patch(self.client_patch, key, value), {})

    def set_client_count(self, count: int, spawn_rate: float = 100) -> None:
        self.client_count = count

    def stop_clients(self) -> None:
        self.client_count = 0

    def _send_clients(self, build: Callable[[], dict], profile_patch: Mapping) -> None:
        """A later clients' config: what is newly wrong with it, written where the scenario
        writes the profile change when it is about a key of that change."""
        try:
            patch = build()
        except (TypeError, ValueError, AttributeError):
            return  # not even built over a run's config this malformed; its problems are noted
        problems = config_patch_problems(self.loadgen_base, patch)
        fresh = [problem for problem in problems if problem not in self._client_problems]
        self.client_patch, self._client_problems = patch, problems
        noted = []
        for problem in fresh:
            found = _PROFILE_PROBLEM.match(problem)
            if found and found.group(3) in profile_patch:
                noted.append(f"{dotted(self._patch_path())}.{found.group(2)}")
            else:
                noted.append(f"{dotted(self.where.entry)}: the clients' config it sends: {problem}")
        self._noted(noted)

    # --- where problems are written -----------------------------------------------------------------
    def _known_service(self, service: str) -> bool:
        if service in self.services:
            return True
        self._noted([f"{dotted(self._target_path())}: unknown service {service!r}; the stack's services: "
                     f"{', '.join(sorted(self.services))}"])
        return False

    def _patch_path(self) -> tuple:
        return self.where.patch or self.where.entry

    def _target_path(self) -> tuple:
        return self.where.target or self.where.entry

    def _noted(self, problems: list[str]) -> bool:
        """Notes each problem once; True if there were none (the change would be made)."""
        self.problems += [problem for problem in dict.fromkeys(problems) if problem not in self.problems]
        return not problems


def _attempt(make) -> tuple[Any, list[str]]:
    """``make()``, or the problems it raised."""
    try:
        return make(), []
    except ConfigError as exc:
        return None, list(exc.problems)
