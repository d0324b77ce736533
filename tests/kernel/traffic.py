"""Bounded TCP traffic inside network namespaces: a server that accepts and holds connections,
and clients that knock at a fixed rate or hold connections open. Every loop is bounded in
count and in time; sockets are made on threads that entered the namespace (router/netns.py)."""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

from router.netns import in_netns


class Server:
    """Accepts on ``port`` in namespace ``ns``, holds each connection until its client closes
    (then closes too), and records when each was accepted and the most held at once. With
    ``sink`` it also reads and counts what clients send."""

    def __init__(self, ns: str, address: str, port: int, sink: bool = False):
        self.accepted_at: list[float] = []
        self.most_open = 0
        self.received_bytes = 0
        self._open = 0
        self._stop = threading.Event()
        self._listener = in_netns(ns, lambda: _listener(address, port))
        self._sink = sink
        self._thread = threading.Thread(target=self._serve, name="kernel-test-server", daemon=True)

    def __enter__(self) -> Server:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    @property
    def open_now(self) -> int:
        return self._open

    def _serve(self) -> None:
        chooser = selectors.DefaultSelector()
        chooser.register(self._listener, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                for key, _ in chooser.select(timeout=0.05):
                    if key.fileobj is self._listener:
                        with contextlib.suppress(BlockingIOError):
                            conn, _ = self._listener.accept()
                            conn.setblocking(False)
                            chooser.register(conn, selectors.EVENT_READ)
                            self.accepted_at.append(time.monotonic())
                            self._open += 1
                            self.most_open = max(self.most_open, self._open)
                        continue
                    conn = key.fileobj
                    try:
                        data = conn.recv(262144)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if data:
                        self.received_bytes += len(data)
                        continue
                    chooser.unregister(conn)
                    conn.close()
                    self._open -= 1
        finally:
            for key in list(chooser.get_map().values()):
                if key.fileobj is not self._listener:
                    key.fileobj.close()
            chooser.close()


def _listener(address: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(4096)
    listener.setblocking(False)
    return listener


@dataclass
class Knocks:
    offered: int = 0
    connected_at: list[float] = field(default_factory=list)
    waited: list[float] = field(default_factory=list)  # each connected attempt's time to connect
    refused: int = 0  # answered with a reset
    unanswered: int = 0  # no answer within the attempt's wait (a dropped SYN)
    started: float = 0.0
    ended: float = 0.0


def knock(ns: str, address: str, port: int, per_second: float, seconds: float,
          wait_seconds: float = 0.5) -> Knocks:
    """Start a connection every 1/per_second s for ``seconds``, each waited for at most
    ``wait_seconds`` (under the client kernel's first SYN retransmission, 1 s: every attempt
    is one SYN), and closed once it connects. Runs inside ``ns``."""
    return in_netns(ns, lambda: _knock(address, port, per_second, seconds, wait_seconds))


def _knock(address: str, port: int, per_second: float, seconds: float, wait_seconds: float) -> Knocks:
    result = Knocks()
    chooser = selectors.DefaultSelector()
    pending: dict[socket.socket, float] = {}
    interval = 1.0 / per_second
    result.started = start = time.monotonic()
    deadline = start + seconds
    while True:
        now = time.monotonic()
        while now < deadline and result.offered < int((now - start) / interval) + 1:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex((address, port))
            chooser.register(sock, selectors.EVENT_WRITE)
            pending[sock] = now
            result.offered += 1
        if now >= deadline and not pending:
            break
        for key, _ in chooser.select(timeout=min(interval, 0.01)):
            sock = key.fileobj
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error == 0:
                result.connected_at.append(time.monotonic())
                result.waited.append(result.connected_at[-1] - pending[sock])
            else:
                result.refused += 1
            chooser.unregister(sock)
            del pending[sock]
            sock.close()
        now = time.monotonic()
        for sock, since in list(pending.items()):
            if now - since > wait_seconds:
                result.unanswered += 1
                chooser.unregister(sock)
                del pending[sock]
                sock.close()
        if now > deadline + wait_seconds + 2:  # bound, whatever happens
            break
    result.ended = time.monotonic()
    chooser.close()
    return result


def hold(ns: str, address: str, port: int, count: int, wait_seconds: float = 0.5) -> list[socket.socket]:
    """Try ``count`` connections at once and return those that connected within the wait, still
    open (the caller closes them)."""
    def open_many() -> list[socket.socket]:
        socks = []
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex((address, port))
            socks.append(sock)
        chooser = selectors.DefaultSelector()
        for sock in socks:
            chooser.register(sock, selectors.EVENT_WRITE)
        connected, deadline = [], time.monotonic() + wait_seconds
        while chooser.get_map() and time.monotonic() < deadline:
            for key, _ in chooser.select(timeout=0.05):
                chooser.unregister(key.fileobj)
                if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected.append(key.fileobj)
                else:
                    key.fileobj.close()
        for key in list(chooser.get_map().values()):
            key.fileobj.close()
        chooser.close()
        return connected

    return in_netns(ns, open_many)


def connect_once(ns: str, address: str, port: int, timeout: float = 2.0) -> bytes:
    """Connect, read what the server sends until it closes (bounded), and return it."""
    def talk() -> bytes:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(1024)

    return in_netns(ns, talk)


def send_bulk(ns: str, address: str, port: int, seconds: float) -> int:
    """Send as fast as the path takes for ``seconds``; the bytes the socket took."""
    def blast() -> int:
        sent, chunk = 0, b"x" * 65536
        with socket.create_connection((address, port), timeout=2.0) as sock:
            sock.settimeout(0.2)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    sent += sock.send(chunk)
        return sent

    return in_netns(ns, blast)


def bytes_received_by_kernel(ns: str, port: int) -> int:
    """What TCP has taken in on ``port``'s open connections in ``ns`` (tcp_info's bytes_received),
    read from the kernel: a receiving thread that lags under load does not change it."""
    listed = subprocess.run(["ip", "netns", "exec", ns, "ss", "-tinH", "state", "established",
                             "sport", "=", f":{port}"], capture_output=True, text=True, check=True).stdout
    return sum(int(found) for found in re.findall(r"bytes_received:(\d+)", listed))


def send_bulk_in_background(ns: str, address: str, port: int, seconds: float) -> threading.Thread:
    """``send_bulk`` on a thread, so a test can sample counters while the path is saturated."""
    thread = threading.Thread(target=send_bulk, args=(ns, address, port, seconds), daemon=True)
    thread.start()
    return thread


def greeter(ns: str, address: str, port: int, greeting: bytes, seconds: float) -> threading.Thread:
    """A server answering each connection with ``greeting`` then closing, for ``seconds``."""
    listener = in_netns(ns, lambda: _listener(address, port))

    def serve() -> None:
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    time.sleep(0.01)
                    continue
                with conn:
                    conn.setblocking(True)
                    conn.sendall(greeting)
        finally:
            listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread
