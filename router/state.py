"""The one object that owns the router's state: its devices and the links crossing them, and
where each link forwards. Every change is checked as the proxy checks it (the same contract,
the same order, the same errors), then against what the kernel can do, then applied to the
kernel in one step; only once the kernel has taken it does the state change. So a refused
change, by the contract, by the kernel device's limits or by the kernel itself, leaves both
the state and the kernel's rules as they were.

Links are fixed at start (no POST or DELETE); devices may be created and deleted, as at the
proxy. The kernel's numbering of them (conntrack marks, tc classes) never changes under
established connections: a new device takes the next number, a deleted one keeps its own.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from typing import Protocol

from router import kernel_names as kn
from router.config import RouterConfig
from router.errors import Conflict, NotFound
from router.kernel import Reading
from router.kernel_limits import device_data_refusals, device_value_refusals, link_data_refusals, pinned
from router.ruleset import Count, Topology
from router.traffic_control import GSO_PACKET_BYTES, SETUP, SETUP_PACKET_BYTES, plan_traffic_control
from stormlab_common.config import ConfigError
from stormlab_common.contracts import proxy as contract
from stormlab_common.metric_names import DOWNSTREAM, UPSTREAM
from stormlab_common.model import dump, parse, patched


class KernelPort(Protocol):
    """What the state needs of the kernel (router/kernel.py's Kernel; a fake in unit tests)."""

    def apply(self, new: Topology, old: Topology | None) -> None: ...
    def read(self) -> Reading: ...


def resolve_ipv4(host: str) -> str:
    """The first IPv4 address of ``host`` (an address is its own)."""
    try:
        return socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except (OSError, IndexError) as exc:
        raise LookupError(getattr(exc, "strerror", None) or str(exc) or "no IPv4 address") from exc


class RouterState:
    def __init__(self, config: RouterConfig, kernel: KernelPort,
                 resolve: Callable[[str], str] = resolve_ipv4):
        self.config = config
        self.kernel = kernel
        self._resolve = resolve
        self.numbering = kn.Numbering.of(config.devices, config.links)
        self.devices: dict[str, contract.Device] = dict(config.devices)
        self.links: dict[str, contract.Link] = dict(config.links)
        self.addresses: dict[str, str] = {}
        self.started = False

    def start(self) -> None:
        """Resolve every upstream and put the rules in force (Conflict if one cannot resolve)."""
        addresses = {name: self._address(name, link) for name, link in self.links.items()}
        self.kernel.apply(self._topology(self.devices, self.links, addresses), None)
        self.addresses = addresses
        self.started = True

    # -- devices ------------------------------------------------------------------------------
    def list_devices(self) -> list[dict]:
        reading = self.kernel.read()
        return [self._describe_device(name, reading) for name in sorted(self.devices)]

    def get_device(self, name: str) -> dict:
        self._device(name)
        return self._describe_device(name, self.kernel.read())

    def create_device(self, body: Mapping) -> dict:
        name = body.get("name") if isinstance(body, Mapping) else None
        source = f"new device {name!r}" if isinstance(name, str) else "new device"
        data = {key: value for key, value in body.items() if key != "name"} if isinstance(body, Mapping) \
            else body
        problems = device_data_refusals(data)
        if problems:
            raise ConfigError(problems, source)
        new = parse(contract.NewDevice, body, source)
        if new.name in self.devices:
            raise Conflict(f"device {new.name!r} already exists; PATCH it to change it")
        config = self._checked_device(new.name, pinned(new.config), source)
        numbering = self.numbering
        self.numbering = numbering.with_device(new.name)
        try:
            self._apply({**self.devices, new.name: config}, self.links, self.addresses)
        except Exception:
            self.numbering = numbering
            raise
        return self.get_device(new.name)

    def delete_device(self, name: str) -> None:
        self._device(name)
        users = sorted(link for link, config in self.links.items() if config.device == name)
        if users:
            raise Conflict(f"device {name!r} is used by links {', '.join(users)}; move them first")
        self._apply({other: config for other, config in self.devices.items() if other != name},
                    self.links, self.addresses)

    def update_device(self, name: str, patch: Mapping) -> dict:
        current, source = self._device(name), f"device {name!r}"
        problems = contract.patch_problems(contract.Device, current, patch) or device_data_refusals(patch)
        if problems:
            raise ConfigError(problems, source)
        config = self._checked_device(name, pinned(patched(contract.Device, current, patch, source)), source)
        self._apply({**self.devices, name: config}, self.links, self.addresses)
        return self.get_device(name)

    def _checked_device(self, name: str, config: contract.Device, source: str) -> contract.Device:
        problems = device_value_refusals(config)
        if problems:
            raise ConfigError(problems, source)
        problems = contract.device_problems(config, GSO_PACKET_BYTES)
        if problems:
            raise Conflict(f"device {name!r} could not queue the largest packet the kernel moves "
                           f"({GSO_PACKET_BYTES} bytes, a GSO packet)", problems)
        return config

    # -- links --------------------------------------------------------------------------------
    def list_links(self) -> list[dict]:
        reading = self.kernel.read()
        return [self._describe_link(name, reading) for name in sorted(self.links)]

    def get_link(self, name: str) -> dict:
        self._link(name)
        return self._describe_link(name, self.kernel.read())

    def update_link(self, name: str, patch: Mapping) -> dict:
        current, source = self._link(name), f"link {name!r}"
        problems = contract.patch_problems(contract.Link, current, patch) or link_data_refusals(patch)
        if problems:
            raise ConfigError(problems, source)
        try:
            config = contract.patched_link(current, patch, source)
        except ConfigError as exc:  # the patch is well formed; the link it makes breaks a rule
            raise Conflict(f"the change would make {source} invalid", exc.problems) from exc
        self._check_link(name, config)
        addresses = dict(self.addresses)
        if config.upstream_host != current.upstream_host or name not in addresses:
            addresses[name] = self._address(name, config)
        self._apply(self.devices, {**self.links, name: config}, addresses)
        return self.get_link(name)

    # -- helpers ------------------------------------------------------------------------------
    def _apply(self, devices: dict, links: dict, addresses: dict) -> None:
        """The kernel first; the state only once the kernel has taken the change."""
        old = self._topology(self.devices, self.links, self.addresses) if self.started else None
        self.kernel.apply(self._topology(devices, links, addresses), old)
        self.devices, self.links, self.addresses = devices, links, addresses

    def _topology(self, devices: dict, links: dict, addresses: dict) -> Topology:
        return Topology(devices=devices, links=links, addresses=addresses, numbering=self.numbering,
                        interfaces=self.config.interface_pair)

    def _check_link(self, name: str, config: contract.Link) -> None:
        problems = contract.link_problems(config, self.devices)
        if problems:
            raise Conflict(f"link {name!r} names a device that does not exist", problems)
        ports = {other: link.listen_port for other, link in self.links.items() if other != name}
        clash = contract.duplicate_ports({**ports, name: config.listen_port})
        if clash:
            raise Conflict(clash[0], clash)
        if config.listen_port == self.config.admin.port:
            raise Conflict(f"listen_port {config.listen_port} is the router agent's admin port",
                           [f"listen_port: {config.listen_port} is the agent's admin port; pick another"])

    def _address(self, name: str, link: contract.Link) -> str:
        try:
            return self._resolve(link.upstream_host)
        except LookupError as exc:
            raise Conflict(f"link {name!r}: cannot resolve upstream host {link.upstream_host!r}",
                           [f"upstream: {link.upstream_host!r} has no IPv4 address ({exc})"]) from exc

    def _device(self, name: str) -> contract.Device:
        if name not in self.devices:
            raise NotFound("device", name, sorted(self.devices))
        return self.devices[name]

    def _link(self, name: str) -> contract.Link:
        if name not in self.links:
            raise NotFound("link", name, sorted(self.links))
        return self.links[name]

    def _describe_device(self, name: str, reading: Reading) -> dict:
        config, counters = self.devices[name], reading.counters
        users = sorted(link for link, cfg in self.links.items() if cfg.device == name)
        plan = {shaped.direction: shaped for shaped in
                plan_traffic_control({name: config}, self.numbering, self.config.interface_pair)}
        setup = plan.get(SETUP)
        setup_queue = reading.classes.get((setup.interface, setup.class_id)) if setup else None
        directions = {}
        for direction in (UPSTREAM, DOWNSTREAM):
            shaped = plan.get(direction)
            queue = reading.classes.get((shaped.interface, shaped.class_id)) if shaped else None
            directions[direction] = {
                "buffered_bytes": queue.backlog_bytes if queue else 0,
                "bucket_level_bytes": None,  # htb's tokens are not read back
                "forwarded_bytes": counters.get(kn.device_counter(name, direction), Count()).bytes,
                "dropped_packets": queue.drops if queue else 0,
                "shaping": None if shaped is None else {
                    "interface": shaped.interface, "rate_bytes_per_second": shaped.rate_bytes_per_second,
                    "htb_rate_bytes_per_second": shaped.htb_rate,  # on the wire: segments with headers
                    "burst_bytes": shaped.burst_bytes, "queue_bytes": shaped.queue_limit},
            }
        return {
            "name": name, "config": dump(config),
            "effective": dump(contract.effective_device(config, GSO_PACKET_BYTES)),
            "state": {
                "active_connections": sum(reading.active_by_mark.get(self.numbering.link_mark(link), 0)
                                          for link in users),
                "waiting_connections": setup_queue.queued_packets if setup_queue else 0,
                **directions,
                "setup_queue": None if setup is None else {
                    "interface": setup.interface, "setups_per_second": setup.setups_per_second,
                    "burst": setup.burst_bytes // SETUP_PACKET_BYTES, "limit": setup.queue_limit,
                    "passed": setup_queue.packets if setup_queue else 0,  # SYNs, retransmissions included
                    "dropped": setup_queue.drops if setup_queue else 0},
                "connection_attempts": {what: counters.get(kn.device_counter(name, what), Count()).packets
                                        for what in ("accepted", *kn.REASONS)},
            },
            "links": users,
        }

    def _describe_link(self, name: str, reading: Reading) -> dict:
        config = self.links[name]
        attempts = dict.fromkeys(("accepted", *kn.OUTCOMES), 0)
        for counter, count in reading.counters.items():
            parsed = kn.parse_counter(counter)
            if parsed is not None and parsed.link == name:
                outcome = parsed.what.partition(":")[0]
                if outcome in attempts:
                    attempts[outcome] += count.packets
        return {"name": name, "config": dump(config), "state": {
            "listen_port": config.listen_port,
            "upstream_address": self.addresses.get(name),
            "active_connections": reading.active_by_mark.get(self.numbering.link_mark(name), 0),
            "connection_attempts": attempts,
        }}
