"""Which of the router's interfaces faces which network, found by address when the config says
``auto``. Docker names a container's interfaces in the order it attaches the networks, which
neither Compose version promises; the addresses are what is certain. The services' side is
the interface the kernel routes an upstream's address by; the clients' side is the one other
interface with an IPv4 address.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from router.ruleset import Interfaces

AUTO = "auto"


class InterfacesUnknown(LookupError):
    """The interfaces could not be told apart: the message says what was seen and what to set."""


def resolve_interfaces(clients: str, services: str, upstream_address: str | None,
                       ipr_factory: Callable[[], Any]) -> Interfaces:
    """The configured names, with each ``auto`` replaced by what the kernel's addresses say."""
    if AUTO not in (clients, services):
        return Interfaces(clients=clients, services=services)
    with ipr_factory() as ipr:
        addressed = _addressed_interfaces(ipr)
        if services == AUTO:
            if upstream_address is None:
                raise InterfacesUnknown("interfaces.services is auto but no link has an upstream to route "
                                        "to; set interfaces.services to an interface name")
            services = _route_interface(ipr, upstream_address)
    if clients == AUTO:
        others = sorted(name for name in addressed if name != services)
        if len(others) != 1:
            raise InterfacesUnknown(
                f"interfaces.clients is auto but {len(others)} interfaces other than the services' "
                f"({services}) have an IPv4 address ({', '.join(others) or 'none'}); set interfaces.clients "
                "to the one facing the clients")
        clients = others[0]
    if clients == services:
        raise InterfacesUnknown(f"the clients and the services are both on {clients}: the router needs "
                                "one interface on each network")
    return Interfaces(clients=clients, services=services)


def _addressed_interfaces(ipr: Any) -> set[str]:
    """Names of the interfaces with an IPv4 address, loopback left out."""
    names = set()
    for message in ipr.get_addr(family=socket.AF_INET):
        name = message.get_attr("IFA_LABEL")
        if name and name != "lo":
            names.add(name.split(":")[0])  # an alias label (eth0:1) is its interface's
    return names


def _route_interface(ipr: Any, address: str) -> str:
    try:
        routes = ipr.route("get", dst=address)
        index = routes[0].get_attr("RTA_OIF")
        return ipr.link("get", index=index)[0].get_attr("IFLA_IFNAME")
    except Exception as exc:  # pyroute2's NetlinkError (no route), or an answer without the attribute
        raise InterfacesUnknown(f"no route to the upstream address {address} ({exc}); set "
                                "interfaces.services to the interface facing the services") from exc
