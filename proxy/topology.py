"""The one object that owns the proxy's state: settings, devices, and the links crossing them.

Every change is validated in full (schema, cross-references, ports) before anything is
touched, so a bad change leaves the previous configuration in force.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict

from proxy.arrival_timeline import ArrivalTimeline
from proxy.config import (
    DEVICE_SCHEMA,
    LINK_SCHEMA,
    SETTINGS_SCHEMA,
    ProxyConfig,
    duplicate_ports,
    parse_device,
    parse_link,
    with_fault_defaults,
)
from proxy.device import Device
from proxy.link import Link
from proxy.metrics import ProxyMetrics
from stormlab_common.config import NAME_SCHEMA, ConfigError, merge_patch, validate


class NotFound(LookupError):
    def __init__(self, kind: str, name: str, known: list[str]):
        super().__init__(f"unknown {kind} {name!r}")
        self.known = known


class Conflict(Exception):
    """The change is well formed but cannot be made in the current state."""


class Topology:
    def __init__(self, config: ProxyConfig, metrics: ProxyMetrics,
                 loop: asyncio.AbstractEventLoop | None = None, arrivals: ArrivalTimeline | None = None):
        self.settings = config.settings
        self._metrics = metrics
        self._loop = loop or asyncio.get_event_loop()
        self.arrivals = arrivals or ArrivalTimeline(time.time)  # every link's, on the wall clock
        self._device_configs: dict[str, dict] = {}
        self._link_configs: dict[str, dict] = {}
        self.devices: dict[str, Device] = {}
        self.links: dict[str, Link] = {}
        for name, raw in config.devices.items():
            self._device_configs[name] = raw
            self.devices[name] = Device(name, parse_device(raw, self.settings.chunk_bytes),
                                        self.settings.chunk_bytes, metrics, self._loop)
        self._initial_links = config.links
        self.started = False

    async def start(self) -> None:
        try:
            for name, raw in self._initial_links.items():
                await self._start_link(name, raw)
        except Conflict:
            await self.close()  # never leave half the links listening
            raise
        self.started = True

    async def close(self) -> None:
        self.started = False
        for link in list(self.links.values()):
            await link.close()
        for device in self.devices.values():
            device.close()

    # -- settings -----------------------------------------------------------------------------
    def get_settings(self) -> dict:
        return asdict(self.settings)

    def update_settings(self, patch: dict) -> dict:
        live = {key: getattr(self.settings, key) for key in SETTINGS_SCHEMA["properties"]}
        raw = validate(SETTINGS_SCHEMA, merge_patch(live, patch), "settings")
        problems = []
        for name, device in self._device_configs.items():  # bursts must still hold a chunk
            try:
                parse_device(device, raw["chunk_bytes"], ("devices", name))
            except ConfigError as exc:
                problems += exc.problems
        if problems:
            raise ConfigError([f"chunk_bytes {raw['chunk_bytes']} does not fit device limits:", *problems],
                              "settings")
        for key, value in raw.items():
            setattr(self.settings, key, value)
        for name, device in self.devices.items():
            config = parse_device(self._device_configs[name], raw["chunk_bytes"])
            device.reconfigure(config, raw["chunk_bytes"])
        return self.get_settings()

    # -- devices ------------------------------------------------------------------------------
    def get_device(self, name: str) -> dict:
        device = self._device(name)
        return {"name": name, "config": self._device_configs[name], "effective": asdict(device.config),
                "state": device.state(),
                "links": sorted(link.name for link in self.links.values() if link.device is device)}

    def list_devices(self) -> list[dict]:
        return [self.get_device(name) for name in sorted(self.devices)]

    def create_device(self, name: str, body: dict) -> dict:
        validate(NAME_SCHEMA, name, "device name", ("name",))
        if name in self.devices:
            raise Conflict(f"device {name!r} already exists; PATCH it to change it")
        raw = validate(DEVICE_SCHEMA, body, f"device {name!r}")
        config = parse_device(raw, self.settings.chunk_bytes)
        self._device_configs[name] = raw
        self.devices[name] = Device(name, config, self.settings.chunk_bytes, self._metrics, self._loop)
        return self.get_device(name)

    def update_device(self, name: str, patch: dict) -> dict:
        device = self._device(name)
        raw = validate(DEVICE_SCHEMA, merge_patch(self._device_configs[name], patch), f"device {name!r}")
        config = parse_device(raw, self.settings.chunk_bytes)
        self._device_configs[name] = raw
        device.reconfigure(config, self.settings.chunk_bytes)
        return self.get_device(name)

    def delete_device(self, name: str) -> None:
        device = self._device(name)
        users = sorted(link.name for link in self.links.values() if link.device is device)
        if users:
            raise Conflict(f"device {name!r} is used by links {', '.join(users)}; move them first")
        device.close()
        del self.devices[name], self._device_configs[name]

    # -- links --------------------------------------------------------------------------------
    def get_link(self, name: str) -> dict:
        link = self._link(name)
        return {"name": name, "config": self._link_configs[name], "state": link.describe()}

    def list_links(self) -> list[dict]:
        return [self.get_link(name) for name in sorted(self.links)]

    async def create_link(self, name: str, body: dict) -> dict:
        validate(NAME_SCHEMA, name, "link name", ("name",))
        if name in self.links:
            raise Conflict(f"link {name!r} already exists; PATCH it to change it")
        await self._start_link(name, body)
        return self.get_link(name)

    async def update_link(self, name: str, patch: dict) -> dict:
        link = self._link(name)
        raw, config = self._checked_link(name, merge_patch(self._link_configs[name], patch))
        try:
            await link.apply(config, self.devices[config.device])
        except OSError as exc:
            raise Conflict(f"cannot listen on port {config.listen_port}: {exc.strerror}") from exc
        self._link_configs[name] = raw
        return self.get_link(name)

    async def delete_link(self, name: str) -> None:
        link = self._link(name)
        del self.links[name], self._link_configs[name]
        await link.close()

    # -- when connections arrived ---------------------------------------------------------------
    def arrivals_window(self, since: float, until: float, device: str | None) -> list[list[float | int]]:
        """Arrivals per slot of the window, at ``device`` or at every device (None). A device
        deleted since still answers for the arrivals it had."""
        if device is not None:
            known = set(self.devices) | self.arrivals.devices()
            if device not in known:
                raise NotFound("device", device, sorted(known))
        return self.arrivals.window(since, until, device)

    # -- counters -----------------------------------------------------------------------------
    def reset_counters(self) -> None:
        """Zero the counters the admin API shows. Prometheus counters are left alone: they
        must only ever grow, or every rate() over them would be wrong."""
        for device in self.devices.values():
            device.reset_counters()
        for link in self.links.values():
            link.reset_counters()

    # -- helpers ------------------------------------------------------------------------------
    async def _start_link(self, name: str, body: dict) -> None:
        raw, config = self._checked_link(name, body)
        link = Link(name, config, self.devices[config.device], self.settings, self._metrics, self._loop,
                    self.arrivals)
        try:
            await link.start()
        except OSError as exc:
            await link.close()
            raise Conflict(f"cannot listen on port {config.listen_port}: {exc.strerror}") from exc
        self.links[name], self._link_configs[name] = link, raw

    def _checked_link(self, name: str, body: dict):
        raw = validate(LINK_SCHEMA, body, f"link {name!r}")
        raw = with_fault_defaults(raw)
        config = parse_link(raw, set(self.devices))
        ports = {other: cfg["listen_port"] for other, cfg in self._link_configs.items() if other != name}
        clash = duplicate_ports({**ports, name: config.listen_port})
        if clash:
            raise Conflict(clash[0])
        return raw, config

    def _device(self, name: str) -> Device:
        if name not in self.devices:
            raise NotFound("device", name, sorted(self.devices))
        return self.devices[name]

    def _link(self, name: str) -> Link:
        if name not in self.links:
            raise NotFound("link", name, sorted(self.links))
        return self.links[name]
