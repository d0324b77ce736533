"""Request boundaries in a byte stream: found across any split, and never a broken stream."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from proxy.http_tap import DROP, FORWARD, HttpTap

GET = b"GET /v1/work HTTP/1.1\r\nHost: x\r\n\r\n"
POST = b"POST /kv/a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"


def run(tap, pieces):
    return b"".join(b"".join(tap.feed(piece)) for piece in pieces)


def test_requests_are_seen_once_each_and_forwarded_whole():
    seen = []
    tap = HttpTap(lambda method, target: seen.append((method, target)) or FORWARD)
    assert run(tap, [GET + POST + GET]) == GET + POST + GET
    assert seen == [("GET", "/v1/work"), ("POST", "/kv/a"), ("GET", "/v1/work")]


@given(st.lists(st.integers(min_value=1, max_value=len(GET + POST)), max_size=10))
def test_any_split_of_the_stream_gives_the_same_result(cuts):
    stream = GET + POST + GET + POST
    points = sorted({c % len(stream) for c in cuts} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in itertools.pairwise(points)]
    seen = []
    tap = HttpTap(lambda method, target: seen.append(method) or FORWARD)
    assert run(tap, pieces) == stream
    assert seen == ["GET", "POST", "GET", "POST"]


def test_dropped_requests_lose_their_head_and_body_only():
    decisions = iter([FORWARD, DROP, FORWARD])
    tap = HttpTap(lambda method, target: next(decisions))
    assert run(tap, [GET, POST[:30], POST[30:], GET]) == GET + GET


def test_bytes_that_are_not_http_pass_through_untouched():
    garbage = b"\x00\x01binary junk\r\n\r\nmore junk"
    tap = HttpTap(lambda method, target: DROP)
    assert run(tap, [garbage, GET]) == garbage + GET  # never framed, never dropped
    assert tap.passthrough


def test_chunked_bodies_are_forwarded_and_end_the_framing():
    chunked = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    tap = HttpTap(lambda method, target: DROP)
    assert run(tap, [chunked, GET]) == chunked + GET


def test_an_oversized_head_turns_into_pass_through():
    huge = b"GET / HTTP/1.1\r\nX: " + b"a" * 70000
    tap = HttpTap(lambda method, target: DROP)
    assert run(tap, [huge]) == huge and tap.passthrough


def test_flush_hands_back_an_unfinished_head():
    tap = HttpTap(lambda method, target: FORWARD)
    assert tap.feed(GET[:10]) == []
    assert tap.flush() == [GET[:10]]
