"""Finding which interface faces which network by address (router/interfaces.py), on a stand-in
for pyroute2's IPRoute that answers as the kernel does in a container on two networks."""

from __future__ import annotations

import pytest

from router.interfaces import InterfacesUnknown, resolve_interfaces
from router.ruleset import Interfaces


class Message(dict):
    def get_attr(self, name):
        return self.get(name)


class FakeIPRoute:
    """Interfaces by index: (name, IPv4 address, /prefix). Routes by the longest prefix."""

    def __init__(self, interfaces):
        self.interfaces = interfaces

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def get_addr(self, family):
        return [Message(IFA_LABEL=name, IFA_ADDRESS=address) for name, address, _ in self.interfaces.values()]

    def route(self, command, dst):
        assert command == "get"
        for index, (_, address, prefix) in self.interfaces.items():
            if _same_net(address, dst, prefix) and address != "127.0.0.1":
                return [Message(RTA_OIF=index)]
        raise OSError(101, "Network is unreachable")

    def link(self, command, index):
        return [Message(IFLA_IFNAME=self.interfaces[index][0])]


def _same_net(a, b, prefix):
    def bits(address):
        return int.from_bytes(bytes(int(part) for part in address.split(".")), "big")
    mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return bits(a) & mask == bits(b) & mask


TWO_NETWORKS = {1: ("lo", "127.0.0.1", 8), 41: ("eth0", "172.20.0.5", 16), 43: ("eth1", "172.21.0.3", 16)}


@pytest.mark.parametrize("services_address, expected", [
    ("172.21.0.7", Interfaces(clients="eth0", services="eth1")),
    ("172.20.0.9", Interfaces(clients="eth1", services="eth0")),  # Docker attached them the other way
])
def test_auto_finds_the_services_side_by_route_and_the_clients_side_as_the_other(services_address, expected):
    found = resolve_interfaces("auto", "auto", services_address, lambda: FakeIPRoute(TWO_NETWORKS))
    assert found == expected


def test_named_interfaces_are_taken_without_asking_the_kernel():
    def no_kernel():
        raise AssertionError("the kernel was asked")
    assert resolve_interfaces("c0", "s0", None, no_kernel) == Interfaces(clients="c0", services="s0")


def test_one_side_named_the_other_found():
    found = resolve_interfaces("eth0", "auto", "172.21.0.7", lambda: FakeIPRoute(TWO_NETWORKS))
    assert found == Interfaces(clients="eth0", services="eth1")


def test_three_networks_cannot_be_told_apart_and_the_error_says_what_to_set():
    three = {**TWO_NETWORKS, 45: ("eth2", "10.9.0.2", 24)}
    with pytest.raises(InterfacesUnknown, match=r"2 interfaces other than the services' \(eth1\).*eth0, eth2.*"
                                                r"set interfaces.clients"):
        resolve_interfaces("auto", "auto", "172.21.0.7", lambda: FakeIPRoute(three))


def test_no_route_to_the_upstream_says_so():
    with pytest.raises(InterfacesUnknown, match=r"no route to the upstream address 192.168.9.9.*interfaces.services"):
        resolve_interfaces("auto", "auto", "192.168.9.9", lambda: FakeIPRoute(TWO_NETWORKS))


def test_clients_and_services_on_one_interface_is_refused():
    with pytest.raises(InterfacesUnknown, match="both on eth1"):
        resolve_interfaces("eth1", "auto", "172.21.0.7", lambda: FakeIPRoute(TWO_NETWORKS))


def test_auto_services_with_no_link_to_route_by():
    with pytest.raises(InterfacesUnknown, match="no link has an upstream"):
        resolve_interfaces("eth0", "auto", None, lambda: FakeIPRoute(TWO_NETWORKS))
