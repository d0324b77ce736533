"""Request boundaries in a client's byte stream, for links with protocol http.

The tap lets faults act on single requests and lets the device count the requests crossing
it (the offered load in attempts, which connection counts hide when clients keep connections
alive). It frames HTTP/1.x requests with a Content-Length body or none, as the testbed's
clients send them, and assumes no pipelining (a client waits for a response before its next
request). Anything else (a chunked body, bytes that are not HTTP, a head over 64 KiB) turns
it into a pass-through for the rest of the connection: it never breaks a stream it does not
understand.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_HEAD_BYTES = 65536
_REQUEST_LINE = re.compile(rb"^([A-Z]{1,20}) (\S{1,8192}) HTTP/1\.[01]$")

FORWARD = "forward"
DROP = "drop"  # the request is answered or reset by a fault, never forwarded


class HttpTap:
    """``feed`` takes bytes from the client and returns the bytes to forward upstream.

    ``on_request(method, target)`` is called once per framed request head and returns
    FORWARD or DROP.
    """

    def __init__(self, on_request: Callable[[str, str], str]):
        self._on_request = on_request
        self._head = bytearray()
        self._body_left = 0
        self._forward_body = True
        self.passthrough = False

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        while data:
            if self.passthrough:
                out.append(data)
                break
            if self._body_left:
                piece, data = data[: self._body_left], data[self._body_left:]
                self._body_left -= len(piece)
                if self._forward_body:
                    out.append(piece)
                continue
            data = self._take_head(data, out)
        return out

    def flush(self) -> list[bytes]:
        """At the client's end of stream: forward an unfinished head as it is."""
        if not self._head or self.passthrough:
            return []
        self.passthrough = True
        head, self._head = bytes(self._head), bytearray()
        return [head]

    def _take_head(self, data: bytes, out: list[bytes]) -> bytes:
        """Accumulate a request head; act on it once complete. Return the unconsumed bytes."""
        search_from = max(0, len(self._head) - 3)
        self._head += data
        end = self._head.find(b"\r\n\r\n", search_from)
        if end < 0:
            if len(self._head) > MAX_HEAD_BYTES:
                self._give_up(out)
            return b""
        head, rest = bytes(self._head[: end + 4]), bytes(self._head[end + 4:])
        self._head = bytearray()
        parsed = _parse_head(head)
        if parsed is None:
            out.append(head)
            self.passthrough = True
            return rest
        method, target, length, chunked = parsed
        decision = FORWARD if chunked else self._on_request(method, target)
        if decision == FORWARD:
            out.append(head)
        if chunked:
            self.passthrough = True  # its body's end is not tracked; forward it all as it comes
        else:
            self._body_left = length
            self._forward_body = decision == FORWARD
        return rest

    def _give_up(self, out: list[bytes]) -> None:
        out.append(bytes(self._head))
        self._head = bytearray()
        self.passthrough = True


def _parse_head(head: bytes) -> tuple[str, str, int, bool] | None:
    """(method, target, content length, chunked) of a request head, or None if it is not one."""
    lines = head[:-4].split(b"\r\n")
    match = _REQUEST_LINE.match(lines[0])
    if match is None:
        return None
    length, chunked = 0, False
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            return None
        name = name.strip().lower()
        if name == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return None
            if length < 0:
                return None
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return match.group(1).decode(), match.group(2).decode("latin-1"), length, chunked
