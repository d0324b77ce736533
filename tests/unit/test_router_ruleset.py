"""The nftables transaction: its shape, one limit per device shared by its links, the verdicts
on_overflow asks for, counters that only grow, and the rate units nftables takes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router import kernel_names as kn
from router.ruleset import Count, Interfaces, NotRepresentable, Topology, build_ruleset, limit_rate
from stormlab_common.contracts import proxy as contract

INTERFACES = Interfaces(clients="clients0", services="services0")


def topology(devices=None, links=None, counters=None) -> Topology:
    devices = devices or {"border": contract.Device(), "dns-path": contract.Device()}
    links = links or {"api": contract.Link(8081, "api:8080", "border"),
                      "dns": contract.Link(8053, "dns:8080", "border")}
    return Topology(devices=devices, links=links, addresses={name: f"10.0.2.{i + 10}" for i, name in
                                                             enumerate(sorted(links))},
                    numbering=kn.Numbering.of(devices, links), interfaces=INTERFACES, counters=counters or {})


def rules_of(ruleset: dict, chain: str) -> list[list[dict]]:
    return [command["add"]["rule"]["expr"] for command in ruleset["nftables"]
            if "rule" in command.get("add", {}) and command["add"]["rule"]["chain"] == chain]


def limited(**connections) -> contract.Device:
    return contract.Device(connections=contract.ConnectionLimits(**connections))


def test_the_transaction_replaces_the_table_whole_and_is_json():
    ruleset = build_ruleset(topology())
    first = ruleset["nftables"][:3]
    table = {"family": "ip", "name": "stormlab_router"}
    assert first == [{"add": {"table": table}}, {"delete": {"table": table}}, {"add": {"table": table}}]
    assert json.loads(json.dumps(ruleset)) == ruleset
    chains = {c["add"]["chain"]["name"]: c["add"]["chain"] for c in ruleset["nftables"] if "chain" in c.get("add", {})}
    assert chains["forward"]["policy"] == "drop" and chains["forward"]["hook"] == "forward"
    assert chains["prerouting"]["prio"] == -100 and chains["postrouting"]["prio"] == 100
    assert {"setup:border", "setup:dns-path", "link:api", "link:dns"} <= set(chains)


def test_each_link_is_dnated_to_its_upstream_and_marked():
    rules = rules_of(build_ruleset(topology()), "prerouting")
    api = next(rule for rule in rules if rule[1]["match"]["right"] == 8081)
    assert api[0] == {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "clients0"}}
    assert api[2] == {"mangle": {"key": {"ct": {"key": "mark"}}, "value": 1}}
    assert api[3] == {"dnat": {"addr": "10.0.2.10", "port": 8080}}
    (masquerade,) = rules_of(build_ruleset(topology()), "postrouting")
    assert masquerade[-1] == {"masquerade": None} and masquerade[1]["match"]["right"] == {"set": [1, 2]}


def test_links_of_one_device_share_its_one_limit_and_ct_count():
    devices = {"border": limited(new_per_second=200, max_active=2000, backlog=0), "dns-path": contract.Device()}
    ruleset = build_ruleset(topology(devices))
    setup = rules_of(ruleset, "setup:border")
    limits = [expr for rule in setup for expr in rule if "limit" in expr]
    counts = [expr for rule in setup for expr in rule if "ct count" in expr]
    assert limits == [{"limit": {"rate": 200, "per": "second", "burst": 10, "burst_unit": "packets", "inv": True}}]
    assert counts == [{"ct count": {"val": 2000, "inv": True}}]
    for link in ("api", "dns"):  # both jump to the same chain, and nowhere else holds a limit
        jumps = [expr["jump"]["target"] for rule in rules_of(ruleset, f"link:{link}") for expr in rule
                 if "jump" in expr]
        assert jumps == ["setup:border"]
    assert rules_of(ruleset, "setup:dns-path") == [[{"counter": "device:dns-path:accepted"}]]


@pytest.mark.parametrize("on_overflow,verdict,outcome", [
    ("refuse", {"drop": None}, "refused"), ("reset", {"reject": {"type": "tcp reset"}}, "reset")])
def test_syns_turned_away_get_the_verdict_on_overflow_asks(on_overflow, verdict, outcome):
    devices = {"border": limited(new_per_second=5, max_active=3, on_overflow=on_overflow, backlog=0),
               "dns-path": contract.Device()}
    rules = rules_of(build_ruleset(topology(devices)), "link:api")
    turned_away = [rule for rule in rules if rule[0].get("match", {}).get("left") == {"meta": {"key": "mark"}}]
    assert [rule[-1] for rule in turned_away] == [verdict, verdict]
    assert [rule[1]["counter"] for rule in turned_away] == [f"link:api:border:{outcome}:setup_rate",
                                                            f"link:api:border:{outcome}:table_full"]


def test_with_a_backlog_admitted_syns_wait_in_the_setup_queue_instead_of_meeting_a_limit():
    devices = {"border": limited(new_per_second=100, max_active=50, backlog=4096), "dns-path": contract.Device()}
    ruleset = build_ruleset(topology(devices))
    setup = rules_of(ruleset, "setup:border")
    assert not [expr for rule in setup for expr in rule if "limit" in expr]  # the queue is the rate
    assert [expr for rule in setup for expr in rule if "ct count" in expr] == [{"ct count": {"val": 50, "inv": True}}]
    rules = rules_of(ruleset, "link:api")
    queued = [index for index, rule in enumerate(rules)
              if {"mangle": {"key": {"meta": {"key": "priority"}}, "value": "1:1000"}} in rule]
    accepted = [index for index, rule in enumerate(rules) if {"counter": "link:api:border:accepted"} in rule]
    turned_away = [index for index, rule in enumerate(rules) if rule[0].get("match", {}).get("left") ==
                   {"meta": {"key": "mark"}}]
    # after the table's verdict, only SYNs (the rule matches ct state new and the SYN flag)
    assert len(queued) == 1 and max(turned_away) < queued[0] < accepted[0]
    assert rules[queued[0]][1]["match"]["right"] == "syn"
    # without a rate there is nothing to wait for: no queue, no limit
    plain = build_ruleset(topology({"border": limited(backlog=4096), "dns-path": contract.Device()}))
    assert not [rule for rule in rules_of(plain, "link:api")
                if {"mangle": {"key": {"meta": {"key": "priority"}}, "value": "1:1000"}} in rule]


def test_moving_a_link_moves_its_class_and_its_limits():
    base = topology()
    moved = topology(links={**base.links, "dns": contract.Link(8053, "dns:8080", "dns-path")})
    rules = rules_of(build_ruleset(moved), "link:dns")
    # devices are numbered in name order: border's class is 1:10, dns-path's 1:11
    assert rules[0][1] == {"mangle": {"key": {"meta": {"key": "priority"}}, "value": "1:11"}}
    assert rules[1][-1] == {"jump": {"target": "setup:dns-path"}}
    assert rules_of(build_ruleset(base), "link:dns")[0][1]["mangle"]["value"] == "1:10"
    assert any(expr == {"counter": "link:dns:dns-path:accepted"} for rule in rules for expr in rule)


def test_counters_start_where_the_old_table_left_them_and_none_is_lost():
    old = {"link:api:border:accepted": Count(7, 420), "link:dns:border:upstream": Count(3, 9000),
           "link:dns:gone:accepted": Count(2, 120), "someone-elses": Count(1, 1)}
    ruleset = build_ruleset(topology(counters=old))
    counters = {c["add"]["counter"]["name"]: c["add"]["counter"] for c in ruleset["nftables"]
                if "counter" in c.get("add", {})}
    assert (counters["link:api:border:accepted"]["packets"], counters["link:api:border:accepted"]["bytes"]) == (7, 420)
    assert counters["link:dns:gone:accepted"]["packets"] == 2  # a link's counters at a device it left stay
    assert "someone-elses" not in counters
    assert counters["device:border:setup_rate"]["packets"] == 0


def test_every_counter_a_rule_names_exists():
    devices = {"border": limited(new_per_second=50, max_active=10, on_overflow="reset"), "dns-path": limited()}
    ruleset = build_ruleset(topology(devices))
    declared = {c["add"]["counter"]["name"] for c in ruleset["nftables"] if "counter" in c.get("add", {})}
    used = {expr["counter"] for c in ruleset["nftables"] if "rule" in c.get("add", {})
            for expr in c["add"]["rule"]["expr"] if "counter" in expr}
    assert used <= declared


@pytest.mark.parametrize("per_second,expected", [
    (200, (200, "second")), (0.5, (30, "minute")), (200.5, (12030, "minute")), (1 / 3600, (1, "hour")),
    (1e9, (10**9, "second"))])
def test_setup_rates_in_the_units_nftables_takes(per_second, expected):
    assert limit_rate(per_second) == expected


def test_a_rate_under_one_a_day_cannot_be_held():
    with pytest.raises(NotRepresentable, match="at least 1 per day"):
        limit_rate(1e-6)


@given(st.floats(min_value=1 / 86400, max_value=1e9, allow_nan=False))
def test_a_rate_in_nftables_units_is_off_by_at_most_half_a_packet_a_day(per_second):
    rate, unit = limit_rate(per_second)
    seconds = dict([("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400)])[unit]
    assert rate >= 1 and isinstance(rate, int)
    assert abs(rate / seconds - per_second) <= 0.5 / 86400 + 1e-9 * per_second


@given(st.lists(st.sampled_from(["a", "b-c", "d_e", "dev", "fwd", "x1"]), min_size=1, max_size=4, unique=True))
def test_names_never_clash_whatever_the_devices_and_links_are_called(names):
    devices = {name: contract.Device() for name in names}
    links = {name: contract.Link(9000 + i, f"{name}:80", names[0]) for i, name in enumerate(names)}
    ruleset = build_ruleset(topology(devices, links))
    declared = [c["add"][kind]["name"] for c in ruleset["nftables"] for kind in ("chain", "counter")
                if kind in c.get("add", {})]
    assert len(declared) == len(set(declared))
    assert not {"dev", "fwd"} & set(declared)
