"""The htb plan: one class per device and limited direction, on the interface that direction
leaves by, with the contract's burst and the buffer as its queue; and its application, on a
recording stand-in for pyroute2's IPRoute."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from router import kernel_names as kn
from router.errors import KernelRefused
from router.ruleset import Interfaces, NotRepresentable
from router.traffic_control import (
    GSO_PACKET_BYTES,
    MAX_BURST_SECONDS,
    MAX_HTB_RATE,
    MAX_PAYLOAD_RATE,
    SETUP_PACKET_BYTES,
    TrafficControl,
    plan_traffic_control,
    whole_rate,
)
from stormlab_common.contracts import proxy as contract

INTERFACES = Interfaces(clients="clients0", services="services0")


def device(up=None, down=None, **direction) -> contract.Device:
    return contract.Device(upstream=contract.DirectionLimits(bytes_per_second=up, **direction),
                           downstream=contract.DirectionLimits(bytes_per_second=down, **direction))


def test_each_limited_direction_is_shaped_where_it_leaves_the_router():
    devices = {"border": device(up=2e6, down=1e6), "dns-path": device()}
    plan = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    assert [(c.device, c.direction, c.interface) for c in plan] == [
        ("border", "upstream", "services0"), ("border", "downstream", "clients0")]
    upstream = plan[0]
    assert upstream.class_id == 0x10010 and upstream.queue_handle == 0x100000
    assert upstream.rate_bytes_per_second == 2_000_000
    assert upstream.burst_bytes == max(4 * GSO_PACKET_BYTES, int(2e6 * 0.02))
    assert upstream.queue_limit == 4194304


def test_a_given_burst_and_buffer_are_the_classs():
    devices = {"border": device(up=1e8, burst_bytes=3_000_000, buffer_bytes=131072)}
    (shaped,) = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    assert (shaped.burst_bytes, shaped.queue_limit) == (3_000_000, 131072)


@given(st.floats(min_value=1, max_value=MAX_PAYLOAD_RATE), st.integers(GSO_PACKET_BYTES, 1 << 40))
def test_rates_are_whole_bytes_and_bursts_fit_htb(rate, burst):
    devices = {"d": device(up=rate, burst_bytes=burst)}
    (shaped,) = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    assert shaped.rate_bytes_per_second == round(rate) >= 1
    assert shaped.burst_bytes <= max(burst, 1) and shaped.burst_bytes <= shaped.rate_bytes_per_second * MAX_BURST_SECONDS
    assert shaped.htb_rate <= MAX_HTB_RATE and shaped.htb_burst <= shaped.htb_rate * MAX_BURST_SECONDS


def test_htb_is_given_the_payload_rate_in_the_wire_bytes_of_full_size_segments():
    devices = {"border": device(up=1_000_000)}
    (shaped,) = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    assert shaped.htb_rate == round(1_000_000 * 1514 / 1448)  # MTU 1500: 1448 bytes of payload cost 1514
    with pytest.raises(NotRepresentable, match="less the headers it meters"):
        plan_traffic_control({"d": device(up=MAX_PAYLOAD_RATE + 1)}, kn.Numbering.of({"d": 0}, []), INTERFACES)


def connections(**limits) -> contract.Device:
    return contract.Device(connections=contract.ConnectionLimits(**limits))


def test_a_backlog_is_a_setup_queue_of_syns_passed_at_the_setup_rate():
    devices = {"border": connections(new_per_second=100, new_burst=20, backlog=4096, backlog_timeout_seconds=2)}
    (setup,) = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    assert (setup.direction, setup.interface, setup.queue_kind) == ("setup", "services0", "pfifo")
    assert setup.class_id == 0x11000 and setup.queue_handle == 0x10000000
    # every SYN counts as SETUP_PACKET_BYTES (htb's mpu), so the byte rate is 100 SYNs/s
    assert (setup.mpu_bytes, setup.rate_bytes_per_second) == (SETUP_PACKET_BYTES, 100 * SETUP_PACKET_BYTES)
    assert setup.setups_per_second == 100 and setup.burst_bytes == 20 * SETUP_PACKET_BYTES
    # 4096 may wait, but the rate passes 200 in the 2 s timeout: no SYN waits longer than that
    assert setup.queue_limit == 200


@pytest.mark.parametrize("limits, expected", [
    ({"new_per_second": 100, "backlog": 50, "backlog_timeout_seconds": 2}, 50),   # the backlog is smaller
    ({"new_per_second": 0.5, "backlog": 10, "backlog_timeout_seconds": 1}, 1),    # at least one waits
    ({"new_per_second": 30, "backlog": 1000, "backlog_timeout_seconds": 0.1}, 3),
])
def test_the_setup_queue_holds_the_backlog_or_the_timeouts_worth_whichever_is_fewer(limits, expected):
    devices = {"d": connections(**limits)}
    (setup,) = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    assert setup.queue_limit == expected


def test_no_rate_or_no_backlog_means_no_setup_queue():
    for limits in ({"backlog": 4096}, {"new_per_second": 100, "backlog": 0}):
        devices = {"d": connections(**limits)}
        assert plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES) == ()


def test_a_rate_under_one_byte_per_second_or_over_htbs_32_bits_cannot_be_shaped():
    with pytest.raises(NotRepresentable):
        whole_rate(0.4)
    assert whole_rate(MAX_HTB_RATE) == MAX_HTB_RATE
    with pytest.raises(NotRepresentable, match="at most 4,294,967,295 bytes per second"):
        whole_rate(MAX_HTB_RATE + 1)


class RecordingIPRoute:
    def __init__(self, classes=(), root_kind="htb", refuse: str | None = None):
        self.calls: list[tuple] = []
        self._classes = list(classes)
        self._root_kind = root_kind
        self._refuse = refuse

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def link_lookup(self, ifname):
        return {"clients0": [2], "services0": [3]}.get(ifname, [])

    def get_qdiscs(self, index):
        return [Message({"parent": 0xFFFFFFFF, "handle": 0x10000}, kind=self._root_kind)]

    def get_classes(self, index):
        return [Message({"handle": handle}, kind="htb") for i, handle in self._classes if i == index]

    def tc(self, command, kind=None, index=0, handle=0, **params):  # pyroute2's signature
        if self._refuse and command == "replace-class":
            raise OSError(22, self._refuse)
        self.calls.append((command, kind, index, handle, params))


class Message(dict):
    def __init__(self, fields, kind):
        super().__init__(fields)
        self._kind = kind

    def get_attr(self, name):
        return self._kind if name == "TCA_KIND" else None


def test_applying_changes_classes_in_place_and_removes_those_no_longer_planned():
    devices = {"border": device(up=1e6), "dns-path": device()}
    plan = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    ipr = RecordingIPRoute(classes=[(3, 0x10010), (3, 0x10011), (2, 0x10011)])
    TrafficControl(lambda: ipr, INTERFACES).apply(plan)
    assert ("del-class", None, 2, 0x10011, {}) in ipr.calls and ("del-class", None, 3, 0x10011, {}) in ipr.calls
    replaced = [call for call in ipr.calls if call[0] == "replace-class"]
    assert [(c[2], c[3], c[4]["rate"], c[4]["ceil"]) for c in replaced] == [(3, 0x10010, 1_045_580, 1_045_580)]  # x 1514/1448
    assert ("replace", "bfifo", 3, 0x100000, {"parent": 0x10010, "limit": 4194304}) in ipr.calls
    assert not [call for call in ipr.calls if call[1] == "htb" and call[0] == "replace"]  # the root was there


def test_the_setup_queue_is_applied_with_its_mpu_and_a_pfifo():
    devices = {"border": connections(new_per_second=100, backlog=50)}
    plan = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    ipr = RecordingIPRoute()
    TrafficControl(lambda: ipr, INTERFACES).apply(plan)
    (klass,) = [call for call in ipr.calls if call[0] == "replace-class"]
    assert (klass[2], klass[3], klass[4]["rate"], klass[4]["mpu"]) == (3, 0x11000, 100_000, SETUP_PACKET_BYTES)
    assert ("replace", "pfifo", 3, 0x10000000, {"parent": 0x11000, "limit": 50}) in ipr.calls


def test_a_missing_root_is_made_and_a_refusal_carries_the_kernels_words():
    ipr = RecordingIPRoute(root_kind="noqueue")
    TrafficControl(lambda: ipr, INTERFACES).apply(())
    assert ("replace", "htb", 2, 0x10000, {"default": 0}) in ipr.calls
    devices = {"border": device(up=1e6)}
    plan = plan_traffic_control(devices, kn.Numbering.of(devices, []), INTERFACES)
    with pytest.raises(KernelRefused, match=r"tc refused the shaping: .*Invalid argument"):
        TrafficControl(lambda: RecordingIPRoute(refuse="Invalid argument"), INTERFACES).apply(plan)
    with pytest.raises(KernelRefused, match="no interface 'clients0'"):
        TrafficControl(_NoInterfaces, INTERFACES).apply(())


class _NoInterfaces(RecordingIPRoute):
    def link_lookup(self, ifname):
        return []
