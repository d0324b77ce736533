"""The router agent's config: the file, then STORMLAB_ROUTER_* environment variables, then
``--set key.path=value``. Devices and links are the proxy's contract (stormlab_common/contracts/
proxy.py), so a scenario's limits mean the same at both devices; what the kernel lacks is
refused here at start as the API refuses it later (router/kernel_limits.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any

from router.interfaces import AUTO
from router.kernel_limits import device_data_refusals, device_value_refusals, link_data_refusals, pinned
from router.ruleset import Interfaces
from router.traffic_control import GSO_PACKET_BYTES
from stormlab_common.config import ConfigError, merged_layers
from stormlab_common.contracts import proxy as contract
from stormlab_common.contracts.proxy_numbers import non_finite, whole_numbers
from stormlab_common.model import Meta, Name, parse

ENV_PREFIX = "STORMLAB_ROUTER_"


@dataclass(frozen=True)
class InterfaceNames:
    clients: Annotated[str, Meta(description="interface facing the clients (internal network); downstream "
                                             "is shaped as it leaves here. auto: the one addressed "
                                             "interface that is not the services'")] = AUTO
    services: Annotated[str, Meta(description="interface facing the services (main network); upstream is "
                                              "shaped as it leaves here. auto: the one the kernel routes "
                                              "the first link's upstream by")] = AUTO


@dataclass(frozen=True)
class RouterConfig:
    admin: contract.Admin = field(default_factory=contract.Admin)
    interfaces: InterfaceNames = field(default_factory=InterfaceNames)
    devices: dict[Name, contract.Device] = field(
        default_factory=lambda: {contract.DEFAULT_DEVICE: contract.Device()})
    links: dict[Name, contract.Link] = field(default_factory=dict)

    @property
    def interface_pair(self) -> Interfaces:
        return Interfaces(clients=self.interfaces.clients, services=self.interfaces.services)


def load_router_config(file=None, env=None, overrides=None) -> RouterConfig:
    return config_from_dict(merged_layers(env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides))


def config_from_dict(data: dict[str, Any]) -> RouterConfig:
    """The config from plain data, as if read from a file; ConfigError naming every problem."""
    data = whole_numbers(data)
    devices = data.get("devices") if isinstance(data, dict) else None
    problems = non_finite(data)
    for name, device in devices.items() if isinstance(devices, dict) else ():
        problems += device_data_refusals(device, ("devices", name))
    if problems:
        raise ConfigError(problems)
    config = parse(RouterConfig, data)
    problems = state_problems(config)
    if problems:
        raise ConfigError(problems)
    return dataclasses.replace(config, devices={name: pinned(dev) for name, dev in config.devices.items()})


def state_problems(config: RouterConfig) -> list[str]:
    """The rules the API's changes meet, for the devices and links the router starts with."""
    problems = []
    for name, device in config.devices.items():
        problems += contract.device_problems(device, GSO_PACKET_BYTES, ("devices", name))
        problems += device_value_refusals(device, ("devices", name))
    for name, link in config.links.items():
        where = ("links", name)
        problems += contract.link_problems(link, config.devices, where)
        problems += link_data_refusals(dataclasses.asdict(link), where)
        if link.listen_port == config.admin.port:
            problems.append(f"links.{name}.listen_port: {link.listen_port} is the agent's admin port")
    ports = {name: link.listen_port for name, link in config.links.items()}
    return problems + contract.duplicate_ports(ports)
