"""The device as the model decides it: token bucket, FIFO backlog with its timeout, table."""

import pytest

from model.device import Device
from model.inputs import Bandwidth, DeviceInput
from model.shaper import Shaper


def device(**limits) -> Device:
    return Device(DeviceInput(**{"setups_per_second": 100.0, "setup_burst": 20.0, "backlog": 4096,
                                 "backlog_timeout": 2.0, **limits}))


def test_a_burst_passes_at_once_then_the_rate_spaces_setups():
    d = device()
    times = [d.connect(0.0) for _ in range(25)]
    assert all(ok for _, ok in times)
    assert [t for t, _ in times[:20]] == [0.0] * 20
    assert [t for t, _ in times[20:]] == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])


def test_idle_time_earns_at_most_one_burst():
    d = device()
    for _ in range(20):
        d.connect(0.0)
    assert sum(d.connect(100.0)[0] == 100.0 for _ in range(30)) == 20


def test_an_arrival_waiting_longer_than_the_backlog_timeout_is_turned_away_then():
    d = device(setup_burst=1.0)
    d.connect(0.0)
    setups = [d.connect(0.0) for _ in range(300)]
    admitted = [t for t, ok in setups if ok]
    assert len(admitted) == 200 and max(admitted) == pytest.approx(2.0)
    assert setups[-1] == (2.0, False)  # turned away at arrival + timeout, taking no token


def test_those_that_time_out_take_no_token_from_those_behind():
    d = device(setup_burst=1.0)
    d.connect(0.0)
    for _ in range(300):
        d.connect(0.0)
    at, ok = d.connect(1.5)  # 200 set up by 2.0 s; the 100 turned away took nothing
    assert ok and at == pytest.approx(2.01)


def test_a_full_backlog_refuses_at_once():
    d = device(setup_burst=1.0, backlog=5)
    d.connect(0.0)
    results = [d.connect(0.0) for _ in range(7)]
    assert results[5] == (0.0, False) and results[6] == (0.0, False)


def test_a_full_table_waits_for_a_connection_to_close():
    d = device(max_active=2)
    d.connect(0.0)
    d.hold(0.5)
    d.connect(0.0)
    d.hold(0.7)
    assert d.connect(0.1) == (0.5, True)


def test_unlimited_device_sets_up_at_once():
    d = Device(DeviceInput())
    assert all(d.connect(1.0) == (1.0, True) for _ in range(1000))


def test_setup_work_takes_bandwidth_from_forwarding():
    shaper = Shaper(Bandwidth(1_000_000.0))
    assert shaper.deliver(0.0, 100_000, give_up=10.0) == pytest.approx(0.1)
    busy = Shaper(Bandwidth(1_000_000.0))
    for index in range(5000):  # 500 KB/s of setup work for 5 s: half the rate left
        busy.charge(index / 1000, 500)
    assert busy.deliver(5.0, 100_000, give_up=10.0) - 5.0 == pytest.approx(100_000 / 500_000, rel=0.05)


def test_bytes_for_a_client_gone_stop_taking_bandwidth_when_it_left():
    shaper = Shaper(Bandwidth(1000.0))
    shaper.deliver(0.0, 10_000, give_up=1.0)  # would take 10 s; its client leaves at 1 s
    assert shaper.deliver(1.0, 1000, give_up=5.0) == pytest.approx(2.0)
