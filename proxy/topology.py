"""The one object that owns the proxy's state: settings, devices, and the links crossing them.

Every change is parsed with the contract (stormlab_common/contracts/proxy.py) and checked
against the state in full before anything is touched, so a refused change leaves the previous
configuration in force. Input the contract refuses raises ConfigError; a well-formed change
that the state cannot take (a burst below the chunk size, an unknown device, a port in use)
raises Conflict; an unknown name, NotFound.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from proxy.arrival_timeline import ArrivalTimeline
from proxy.config import parsed
from proxy.device import Device
from proxy.link import Link
from proxy.metrics import ProxyMetrics
from stormlab_common.config import ConfigError
from stormlab_common.contracts import proxy as contract
from stormlab_common.model import dump, patched


class NotFound(LookupError):
    def __init__(self, kind: str, name: str, known: list[str]):
        super().__init__(f"unknown {kind} {name!r}")
        self.known = known


class Conflict(Exception):
    """The change is well formed but cannot be made in the current state; ``problems`` says
    why, one ``path: what is wrong`` line each."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


class Topology:
    def __init__(self, config: contract.ProxyConfig, metrics: ProxyMetrics,
                 loop: asyncio.AbstractEventLoop | None = None, arrivals: ArrivalTimeline | None = None):
        self.settings = config.settings
        self.listen_host = config.listen_host
        self.seed = config.seed
        self._metrics = metrics
        self._loop = loop or asyncio.get_event_loop()
        self.arrivals = arrivals or ArrivalTimeline(time.time)  # every link's, on the wall clock
        self._device_configs: dict[str, contract.Device] = {}
        self._link_configs: dict[str, contract.Link] = {}
        self.devices: dict[str, Device] = {}
        self.links: dict[str, Link] = {}
        for name, device in config.devices.items():
            self._add_device(name, device)
        self._initial_links = config.links
        self.started = False

    async def start(self) -> None:
        try:
            for name, link in self._initial_links.items():
                await self._start_link(name, link)
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
        return dump(self.settings)

    def update_settings(self, patch: Mapping) -> dict:
        settings = _patched(contract.Settings, self.settings, patch, "settings")
        problems = contract.settings_problems(settings, self._device_configs)
        if problems:
            raise Conflict(f"chunk_bytes {settings.chunk_bytes} does not fit device limits", problems)
        self.settings = settings
        for name, device in self.devices.items():
            device.reconfigure(self._device_configs[name], settings.chunk_bytes)
        for link in self.links.values():
            link.use_settings(settings)
        return self.get_settings()

    # -- devices ------------------------------------------------------------------------------
    def get_device(self, name: str) -> dict:
        device, config = self._device(name), self._device_configs[name]
        return {"name": name, "config": dump(config),
                "effective": dump(contract.effective_device(config, self.settings.chunk_bytes)),
                "state": device.state(),
                "links": sorted(link.name for link in self.links.values() if link.device is device)}

    def list_devices(self) -> list[dict]:
        return [self.get_device(name) for name in sorted(self.devices)]

    def create_device(self, body: Mapping) -> dict:
        new = parsed(contract.NewDevice, body, _source("device", body))
        if new.name in self.devices:
            raise Conflict(f"device {new.name!r} already exists; PATCH it to change it")
        self._fits_chunks(new.name, new.config)
        self._add_device(new.name, new.config)
        return self.get_device(new.name)

    def update_device(self, name: str, patch: Mapping) -> dict:
        device = self._device(name)
        config = _patched(contract.Device, self._device_configs[name], patch, f"device {name!r}")
        self._fits_chunks(name, config)
        self._device_configs[name] = config
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
        return {"name": name, "config": dump(self._link_configs[name]), "state": link.describe()}

    def list_links(self) -> list[dict]:
        return [self.get_link(name) for name in sorted(self.links)]

    async def create_link(self, body: Mapping) -> dict:
        new = parsed(contract.NewLink, body, _source("link", body))
        if new.name in self.links:
            raise Conflict(f"link {new.name!r} already exists; PATCH it to change it")
        await self._start_link(new.name, new.config)
        return self.get_link(new.name)

    async def update_link(self, name: str, patch: Mapping) -> dict:
        link, source = self._link(name), f"link {name!r}"
        current = self._link_configs[name]
        _refuse_malformed(contract.Link, current, patch, source)
        try:
            config = contract.patched_link(current, patch, source)
        except ConfigError as exc:  # the patch is well formed; the link it makes breaks a rule
            raise Conflict(f"the change would make {source} invalid", exc.problems) from exc
        self._check_link(name, config)
        try:
            await link.apply(config, self.devices[config.device])
        except OSError as exc:
            raise Conflict(f"cannot listen on port {config.listen_port}: {exc.strerror}") from exc
        if self.links.get(name) is link:  # (not deleted meanwhile)
            self._link_configs[name] = config
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
    def _add_device(self, name: str, config: contract.Device) -> None:
        self._device_configs[name] = config
        self.devices[name] = Device(name, config, self.settings.chunk_bytes, self._metrics, self._loop)

    def _fits_chunks(self, name: str, config: contract.Device) -> None:
        problems = contract.device_problems(config, self.settings.chunk_bytes)
        if problems:
            raise Conflict(f"device {name!r} does not fit the chunk size in force "
                           f"({self.settings.chunk_bytes} bytes; see GET /settings)", problems)

    async def _start_link(self, name: str, config: contract.Link) -> None:
        self._check_link(name, config)
        link = Link(name, config, self.devices[config.device], self.settings, self._metrics, self._loop,
                    self.arrivals, self.listen_host, self.seed)
        try:
            await link.start()
        except OSError as exc:
            await link.close()
            raise Conflict(f"cannot listen on port {config.listen_port}: {exc.strerror}") from exc
        self.links[name], self._link_configs[name] = link, config

    def _check_link(self, name: str, config: contract.Link) -> None:
        """``config`` for link ``name`` against the devices and the other links' ports."""
        problems = contract.link_problems(config, self.devices)
        if problems:
            raise Conflict(f"link {name!r} names a device that does not exist", problems)
        ports = {other: cfg.listen_port for other, cfg in self._link_configs.items() if other != name}
        clash = contract.duplicate_ports({**ports, name: config.listen_port})
        if clash:
            raise Conflict(clash[0], clash)

    def _device(self, name: str) -> Device:
        if name not in self.devices:
            raise NotFound("device", name, sorted(self.devices))
        return self.devices[name]

    def _link(self, name: str) -> Link:
        if name not in self.links:
            raise NotFound("link", name, sorted(self.links))
        return self.links[name]


def _patched(cls: type, current, patch: Mapping, source: str):
    """``current`` changed by a merge patch that its patch schema must take (Settings and
    Device have no rule of their own, so what a well-formed patch makes is well formed)."""
    _refuse_malformed(cls, current, patch, source)
    return patched(cls, current, patch, source)


def _refuse_malformed(cls: type, current, patch: Mapping, source: str) -> None:
    problems = contract.patch_problems(cls, current, patch)
    if problems:
        raise ConfigError(problems, source)


def _source(kind: str, body: Mapping) -> str:
    """How a creation names what it creates in its errors: ``device 'x'``, or ``device``."""
    name = body.get("name") if isinstance(body, Mapping) else None
    return f"{kind} {name!r}" if isinstance(name, str) else kind
