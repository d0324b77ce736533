"""Connections counted per 0.1 s slot of an injected wall clock, per device: slot arithmetic,
zero-filled windows, what is kept; and how long an accepted connection waited, read back
from the kernel on real loopback sockets."""

import socket
import struct
import time

import pytest

from proxy.arrival_timeline import MAX_SECONDS_SINCE_ARRIVAL, ArrivalTimeline, seconds_since_arrival
from stormlab_common.time_slots import KEEP_SLOTS

linux_only = pytest.mark.skipif(not hasattr(socket, "TCP_INFO"), reason="TCP_INFO is Linux's")


class Clock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


def timeline(now=100.0):
    clock = Clock(now)
    return ArrivalTimeline(clock), clock


def test_arrivals_count_in_the_slot_they_arrived_in_per_device():
    t, _ = timeline(now=100.45)  # recorded later than they arrived, as after a busy loop
    for at, device in [(100.0, "border"), (100.02, "border"), (100.0999, "dns-path"), (100.1, "border"),
                       (100.3, "border"), (100.31, "dns-path")]:  # 100.3 / 0.1 is 1002.9999...: still 100.3
        t.record(at, device)
    assert t.window(100.0, 100.4) == [[100.0, 3], [100.1, 1], [100.2, 0], [100.3, 2]]
    assert t.window(100.0, 100.4, "border") == [[100.0, 2], [100.1, 1], [100.2, 0], [100.3, 1]]
    assert t.window(100.0, 100.4, "dns-path") == [[100.0, 1], [100.1, 0], [100.2, 0], [100.3, 1]]
    assert t.window(100.0, 100.4, "elsewhere") == [[100.0, 0], [100.1, 0], [100.2, 0], [100.3, 0]]
    assert t.devices() == {"border", "dns-path"}


def test_a_window_has_every_slot_touching_it_zeros_included_and_the_future_too():
    t, _ = timeline()
    t.record(99.95, "border")
    # from the slot holding since to the last one starting before until
    assert t.window(99.85, 100.05) == [[99.8, 0], [99.9, 1], [100.0, 0]]
    assert t.window(99.9, 100.0) == [[99.9, 1]]
    assert len(t.window(40.0, 100.0)) == 600
    assert t.window(200.0, 200.3) == [[200.0, 0], [200.1, 0], [200.2, 0]]


def test_an_arrival_the_clock_puts_in_the_future_counts_now_and_one_older_than_kept_is_dropped():
    t, _ = timeline(now=1000.05)
    t.record(1005.0, "border")  # the wall clock stepped back: never hold a slot ahead of now
    t.record(399.95, "border")  # before the oldest slot kept (400.0)
    t.record(400.0, "border")
    assert t.window(1000.0, 1000.1) == [[1000.0, 1]] and t.window(1005.0, 1005.1) == [[1005.0, 0]]
    assert t.window(399.9, 400.1) == [[399.9, 0], [400.0, 1]]


def test_memory_is_bounded_by_what_is_kept():
    t, clock = timeline(now=0.0)
    for step in range(9000):  # 900 s of arrivals, one a slot
        clock.now = step * 0.1
        t.record(clock.now, "border")
    assert t.slots_held() == KEEP_SLOTS + 1  # 600 s, the current slot included
    assert t.kept_since() == 299.9
    assert t.window(299.8, 300.0) == [[299.8, 0], [299.9, 1]]  # forgotten, then kept
    clock.now = 2000.0  # nothing since: everything ages out
    assert t.devices() == set() and t.slots_held() == 0 and t.kept_since() == 1400.0


@linux_only
def test_an_accepted_connection_tells_how_long_ago_it_arrived():
    with socket.create_server(("127.0.0.1", 0)) as listener, \
            socket.create_connection(listener.getsockname()) as client:
        time.sleep(0.3)  # the handshake is done; the connection waits in the listen queue
        accepted, _ = listener.accept()
        with accepted:
            waited = seconds_since_arrival(accepted)
        client.sendall(b"x")  # keep the client alive until measured
    assert 0.25 <= waited <= 1.0


@linux_only
def test_a_request_sent_right_after_connecting_still_dates_the_arrival():
    with socket.create_server(("127.0.0.1", 0)) as listener, \
            socket.create_connection(listener.getsockname()) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: api\r\n\r\n")
        time.sleep(0.3)
        accepted, _ = listener.accept()
        with accepted:
            assert 0.25 <= seconds_since_arrival(accepted) <= 1.0


class Answers:
    """A socket stand-in whose TCP_INFO is ``info`` (or raises it)."""

    def __init__(self, info):
        self.info = info

    def getsockopt(self, level, option, size):
        if isinstance(self.info, Exception):
            raise self.info
        return self.info


def tcp_info(last_data_recv_ms: int) -> bytes:
    return struct.pack("8B12I", *[0] * 8, *[0] * 11, last_data_recv_ms).ljust(104, b"\0")


def test_the_reading_is_tcpi_last_data_recv_in_milliseconds_capped():
    assert seconds_since_arrival(Answers(tcp_info(1234))) == 1.234
    assert seconds_since_arrival(Answers(tcp_info(4_000_000_000))) == MAX_SECONDS_SINCE_ARRIVAL == 30.0


@pytest.mark.parametrize("sock", [None, object(), Answers(b"short"), Answers(OSError(92, "Protocol not available")),
                                  Answers(AttributeError("TCP_INFO"))])
def test_anything_that_cannot_be_read_is_no_wait_at_all(sock):
    assert seconds_since_arrival(sock) == 0.0


def test_a_socket_that_is_not_tcp_is_no_wait_at_all():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        assert seconds_since_arrival(udp) == 0.0
