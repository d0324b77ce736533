"""How the router names what it creates in the kernel: its nftables table, chains and counters,
the conntrack marks that tell links apart, and the tc classes of the devices.

Every name carries its kind and the device's or link's own name (``link:api``), so no two can
clash and none is an nftables keyword (``dev``, ``fwd``...). Numbers are handed out once, from
the sorted names the router starts with: devices and links are fixed for the router's life
(the API changes them, it does not create or delete them), so a connection's mark and a
device's class stay valid across every change of the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FAMILY = "ip"  # IPv4: the compose networks are IPv4 only
TABLE = "stormlab_router"
PREROUTING = "prerouting"
POSTROUTING = "postrouting"
FORWARD = "forward"

# meta mark values the setup chains leave on a SYN they turn away (a packet's own mark: reset
# to 0 on every link packet first, so only these rules ever set it)
MARK_OVER_RATE = 1
MARK_OVER_TABLE = 2

QDISC_MAJOR = 1  # the htb root on each interface is 1:
FIRST_CLASS_MINOR = 0x10  # device n's class is 1:(0x10 + n); its queue (bfifo) is (0x10 + n):
FIRST_SETUP_MINOR = 0x1000  # device n's setup queue (its backlog of SYNs) is 1:(0x1000 + n), a pfifo under it

# the reasons a SYN is turned away, as the counters and the metrics' reason label name them
SETUP_RATE = "setup_rate"
TABLE_FULL = "table_full"
REASONS = (SETUP_RATE, TABLE_FULL)
OUTCOMES = ("refused", "reset")  # on_overflow refuse: the SYN is dropped; reset: answered with RST


def setup_chain(device: str) -> str:
    """The chain every new connection of ``device``'s links passes: its limits, once per device."""
    return f"setup:{device}"


def link_chain(link: str) -> str:
    return f"link:{link}"


def device_counter(device: str, what: str) -> str:
    """``what``: accepted, setup_rate, table_full (turned away, whatever the verdict), upstream
    or downstream (bytes)."""
    return f"device:{device}:{what}"


def link_counter(link: str, device: str, what: str) -> str:
    """``what``: accepted, ``<outcome>:<reason>`` (refused:setup_rate, reset:table_full...),
    upstream or downstream (bytes). Per device as well: a link moved to another device counts
    on new counters there, and its old ones stay, as the proxy's labelled series do."""
    return f"link:{link}:{device}:{what}"


@dataclass(frozen=True)
class CounterName:
    kind: str  # "device" or "link"
    device: str
    link: str | None
    what: str


def parse_counter(name: str) -> CounterName | None:
    """What a counter this module named counts; None for any other name."""
    parts = name.split(":")
    if parts[0] == "device" and len(parts) == 3:
        return CounterName("device", parts[1], None, parts[2])
    if parts[0] == "link" and len(parts) in (4, 5):
        return CounterName("link", parts[2], parts[1], ":".join(parts[3:]))
    return None


@dataclass(frozen=True)
class Numbering:
    """The numbers of devices (tc classes) and links (conntrack marks): in name order at start,
    a device created later after them. A number is never given to another name, not even once
    its device is deleted, so no change renumbers what the kernel already holds."""

    devices: tuple[str, ...]
    links: tuple[str, ...]

    @classmethod
    def of(cls, devices: Iterable[str], links: Iterable[str]) -> Numbering:
        return cls(tuple(sorted(devices)), tuple(sorted(links)))

    def with_device(self, device: str) -> Numbering:
        """Numbering that also knows ``device`` (the number it had, if it had one)."""
        return self if device in self.devices else Numbering((*self.devices, device), self.links)

    def class_minor(self, device: str) -> int:
        return FIRST_CLASS_MINOR + self.devices.index(device)

    def class_id(self, device: str) -> int:
        """The tc handle of the device's class, as netlink takes it (major << 16 | minor)."""
        return QDISC_MAJOR << 16 | self.class_minor(device)

    def priority(self, device: str) -> str:
        """The device's class as nftables' ``meta priority set`` takes it: htb sends a packet
        whose priority names one of its classes straight there, with no tc filter."""
        return f"{QDISC_MAJOR:x}:{self.class_minor(device):x}"

    def setup_class_minor(self, device: str) -> int:
        return FIRST_SETUP_MINOR + self.devices.index(device)

    def setup_class_id(self, device: str) -> int:
        """The tc handle of the device's setup queue class (its backlog of new connections' SYNs)."""
        return QDISC_MAJOR << 16 | self.setup_class_minor(device)

    def setup_priority(self, device: str) -> str:
        return f"{QDISC_MAJOR:x}:{self.setup_class_minor(device):x}"

    def link_mark(self, link: str) -> int:
        """The conntrack mark of the link's connections (0 is "no link")."""
        return 1 + self.links.index(link)

    def link_of_mark(self, mark: int) -> str | None:
        return self.links[mark - 1] if 1 <= mark <= len(self.links) else None
