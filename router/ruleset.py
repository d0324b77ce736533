"""The router's nftables rules, as one ``nft -j`` transaction (pure: no I/O).

The transaction replaces the router's own table whole: it adds the table (a no-op if it
exists), deletes it and builds it again, all in one batch, which the kernel commits
atomically or not at all. A refused batch therefore leaves the previous table in force.

What a connection meets, in packet order:

- ``prerouting`` (nat): a SYN to a link's listen port on the clients' interface gets the
  link's conntrack mark and is DNAT-ed to the link's upstream address; the kernel does the
  same to every later packet of the connection, both ways, without the rules seeing them.
- ``forward`` (filter, policy drop: the router forwards link traffic and nothing else): a
  verdict map on the conntrack mark jumps to the link's chain, for both directions.
- ``link:<name>``: puts the packet in its device's tc class (``meta priority``), sends a
  new connection's SYN through the device's ``setup:<device>`` chain, turns it away (drop or
  TCP reset, as the device's ``on_overflow`` says) if that chain marked it, and counts.
- ``setup:<device>``: the device's one ``limit rate over`` and one ``ct count over``, reached
  by every link crossing the device, so its links share them. It marks what it turns away
  and returns; the link's chain gives the verdict, so both the device's and the link's
  counters see each attempt.
- ``postrouting`` (nat): link connections leaving towards the services are masqueraded, so
  replies come back through the router whatever the services' default route.

Counters are named objects (router/kernel_names.py). Recreating the table would zero them, so
each starts at the value the caller read just before (``counters``): they only ever grow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router import kernel_names as kn
from stormlab_common.contracts import proxy as contract

# nftables' limit units: a rate is a whole number of packets per one of these
LIMIT_UNITS = (("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400))
TCP_FLAGS_SEEN = ["fin", "syn", "rst", "ack"]  # a SYN: syn set, the other three clear


@dataclass(frozen=True)
class Interfaces:
    """Which of the router's interfaces faces which network (a config value)."""

    clients: str  # the internal network: clients connect here; downstream is shaped leaving it
    services: str  # the main network: upstream is shaped leaving it


@dataclass(frozen=True)
class Count:
    packets: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Topology:
    """What the rules are built from: the devices, the links and where each link forwards."""

    devices: Mapping[str, contract.Device]
    links: Mapping[str, contract.Link]
    addresses: Mapping[str, str]  # link name -> the upstream's IPv4 address, resolved
    numbering: kn.Numbering
    interfaces: Interfaces
    counters: Mapping[str, Count] = field(default_factory=dict)  # starting values, by counter name


class NotRepresentable(ValueError):
    """A value nftables has no way to hold (the agent refuses it before building)."""


def limit_rate(per_second: float) -> tuple[int, str]:
    """A setup rate as nftables' ``limit rate`` takes it: whole packets per unit. The first unit
    in which the rate is whole is exact (200/s, 0.5/s = 30/minute); else the rate is rounded in
    days, at most 1/172800 per second off. (The kernel sizes the bucket by the burst, in
    packets, whatever the unit.)"""
    if not math.isfinite(per_second) or per_second <= 0:
        raise NotRepresentable(f"expected a positive rate, got {per_second!r}")
    for unit, seconds in LIMIT_UNITS:
        scaled = per_second * seconds
        if abs(scaled - round(scaled)) <= 1e-9 * scaled and round(scaled) >= 1:
            return round(scaled), unit
    per_day = round(per_second * 86400)
    if per_day < 1:
        raise NotRepresentable(f"expected at least 1 per day (1/86400 per second), got {per_second!r}")
    return per_day, "day"


def has_setup_queue(limits: contract.ConnectionLimits) -> bool:
    """Whether the device's SYNs wait in a setup queue (router/traffic_control.py) that passes
    them at the setup rate, instead of meeting a ``limit rate`` that drops those over it. A
    backlog needs a rate to wait for: without one, nothing waits."""
    return limits.backlog > 0 and limits.new_per_second is not None


def build_ruleset(topology: Topology) -> dict[str, Any]:
    """The whole transaction, as ``nft -j -f -`` reads it."""
    table = {"family": kn.FAMILY, "name": kn.TABLE}
    # add first, so the delete never fails on a first run (nft 1.0.6 has no "destroy")
    commands: list[dict] = [{"add": {"table": table}}, {"delete": {"table": table}},
                            {"add": {"table": table}}]
    commands += [_add("counter", name=name, packets=count.packets, bytes=count.bytes)
                 for name, count in sorted(_counters(topology).items())]
    commands += [
        _add("chain", name=kn.PREROUTING, type="nat", hook="prerouting", prio=-100, policy="accept"),
        _add("chain", name=kn.POSTROUTING, type="nat", hook="postrouting", prio=100, policy="accept"),
        _add("chain", name=kn.FORWARD, type="filter", hook="forward", prio=0, policy="drop"),
    ]
    for device in sorted(topology.devices):
        commands.append(_add("chain", name=kn.setup_chain(device)))
    for link in sorted(topology.links):
        commands.append(_add("chain", name=kn.link_chain(link)))
    commands += _nat_rules(topology)
    for device in sorted(topology.devices):
        commands += _setup_rules(device, topology.devices[device].connections)
    for link in sorted(topology.links):
        commands += _link_rules(link, topology)
    if topology.links:
        verdicts = [[topology.numbering.link_mark(link), {"jump": {"target": kn.link_chain(link)}}]
                    for link in sorted(topology.links)]
        commands.append(_rule(kn.FORWARD, {"vmap": {"key": _ct("mark"), "data": {"set": verdicts}}}))
    return {"nftables": commands}


def counter_names(topology: Topology) -> list[str]:
    return sorted(_counters(topology))


LINK_COUNTS = ("accepted", *(f"{o}:{r}" for o in kn.OUTCOMES for r in kn.REASONS), "upstream", "downstream")
DEVICE_COUNTS = ("accepted", *kn.REASONS, "upstream", "downstream")


def _counters(topology: Topology) -> dict[str, Count]:
    """The counters the rules use, and every counter of ours the old table had (a link's
    counters at a device it has left keep their totals, as a metric series does)."""
    names = [kn.device_counter(device, what) for device in topology.devices for what in DEVICE_COUNTS]
    names += [kn.link_counter(link, config.device, what) for link, config in topology.links.items()
              for what in LINK_COUNTS]
    kept = [name for name in topology.counters if kn.parse_counter(name) is not None]
    return {name: topology.counters.get(name, Count()) for name in {*names, *kept}}


def _nat_rules(topology: Topology) -> list[dict]:
    rules = []
    for link in sorted(topology.links):
        config = topology.links[link]
        rules.append(_rule(
            kn.PREROUTING,
            _match(_meta("iifname"), topology.interfaces.clients),
            _match({"payload": {"protocol": "tcp", "field": "dport"}}, config.listen_port),
            {"mangle": {"key": _ct("mark"), "value": topology.numbering.link_mark(link)}},
            {"dnat": {"addr": topology.addresses[link], "port": config.upstream_port}}))
    if topology.links:
        marks = sorted(topology.numbering.link_mark(link) for link in topology.links)
        rules.append(_rule(kn.POSTROUTING, _match(_meta("oifname"), topology.interfaces.services),
                           _match(_ct("mark"), {"set": marks}), {"masquerade": None}))
    return rules


def _setup_rules(device: str, limits: contract.ConnectionLimits) -> list[dict]:
    chain, rules = kn.setup_chain(device), []
    if limits.new_per_second is not None and not has_setup_queue(limits):
        rate, unit = limit_rate(limits.new_per_second)
        over = {"limit": {"rate": rate, "per": unit, "burst": contract.effective_new_burst(limits),
                          "burst_unit": "packets", "inv": True}}
        rules.append(_rule(chain, over, _set_mark(kn.MARK_OVER_RATE),
                           {"counter": kn.device_counter(device, kn.SETUP_RATE)}, {"return": None}))
    if limits.max_active is not None:
        # counts this device's connections still open (conntrack drops closed ones from the
        # count), the table the device holds; a SYN beyond it is marked and turned away
        rules.append(_rule(chain, {"ct count": {"val": limits.max_active, "inv": True}},
                           _set_mark(kn.MARK_OVER_TABLE),
                           {"counter": kn.device_counter(device, kn.TABLE_FULL)}, {"return": None}))
    rules.append(_rule(chain, {"counter": kn.device_counter(device, "accepted")}))
    return rules


def _link_rules(link: str, topology: Topology) -> list[dict]:
    config = topology.links[link]
    device = config.device
    limits = topology.devices[device].connections
    chain = kn.link_chain(link)
    outcome = "reset" if limits.on_overflow == "reset" else "refused"
    verdict = {"reject": {"type": "tcp reset"}} if outcome == "reset" else {"drop": None}
    syn = [_match(_ct("state"), "new", op="in"),
           _match({"&": [{"payload": {"protocol": "tcp", "field": "flags"}}, TCP_FLAGS_SEEN]}, "syn")]
    # a SYN the device admits waits its turn in the device's setup queue, if it has one
    queued = ([_rule(chain, *syn, {"mangle": {"key": _meta("priority"),
                                              "value": topology.numbering.setup_priority(device)}})]
              if has_setup_queue(limits) else [])
    return [
        # whatever set the packet's mark before (nothing should), only the setup chain's counts
        _rule(chain, _set_mark(0), {"mangle": {"key": _meta("priority"),
                                                "value": topology.numbering.priority(device)}}),
        _rule(chain, *syn, {"jump": {"target": kn.setup_chain(device)}}),
        _rule(chain, _match(_meta("mark"), kn.MARK_OVER_RATE),
              {"counter": kn.link_counter(link, device, f"{outcome}:{kn.SETUP_RATE}")}, verdict),
        _rule(chain, _match(_meta("mark"), kn.MARK_OVER_TABLE),
              {"counter": kn.link_counter(link, device, f"{outcome}:{kn.TABLE_FULL}")}, verdict),
        *queued,
        _rule(chain, *syn, {"counter": kn.link_counter(link, device, "accepted")}),
        # bytes forwarded, IP headers included: what the kernel counts
        _rule(chain, _match(_ct("direction"), "original"),
              {"counter": kn.link_counter(link, device, "upstream")},
              {"counter": kn.device_counter(device, "upstream")}, {"accept": None}),
        _rule(chain, {"counter": kn.link_counter(link, device, "downstream")},
              {"counter": kn.device_counter(device, "downstream")}, {"accept": None}),
    ]


def _add(kind: str, **fields: Any) -> dict:
    return {"add": {kind: {"family": kn.FAMILY, "table": kn.TABLE, **fields}}}


def _rule(chain: str, *expr: dict) -> dict:
    return _add("rule", chain=chain, expr=list(expr))


def _match(left: Any, right: Any, op: str = "==") -> dict:
    return {"match": {"op": op, "left": left, "right": right}}


def _meta(key: str) -> dict:
    return {"meta": {"key": key}}


def _ct(key: str) -> dict:
    return {"ct": {"key": key}}


def _set_mark(value: int) -> dict:
    return {"mangle": {"key": _meta("mark"), "value": value}}
