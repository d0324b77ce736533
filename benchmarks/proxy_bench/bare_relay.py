"""The floor under any Python proxy on this machine: the least a TCP relay on uvloop can do per
connection (accept, connect onward, copy both ways, pass each end of stream on, close), with
nothing else: no device, no limits, no metrics, no faults. The setups benchmark runs it beside
the stormlab proxy, so the proxy's own cost per connection is what lies between the two.

    python benchmarks/proxy_bench/bare_relay.py LISTEN_PORT UPSTREAM_PORT [asyncio|uvloop]

It prints "listening" once bound and runs until it is terminated.
"""

from __future__ import annotations

import asyncio
import signal
import sys


class _Side(asyncio.Protocol):
    __slots__ = ("connecting", "other", "pending", "transport")

    def __init__(self, other: _Side | None = None):
        self.other = other
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes | None] = []  # what arrived before the other side was connected
        self.connecting: asyncio.Task | None = None  # the client's side: its onward connect

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        if self.other is not None:  # the onward side: the client's side waits for it
            self.other.other = self
            for data in self.other.pending:
                self._take(data)
            self.other.pending.clear()

    def data_received(self, data: bytes) -> None:
        self._pass(data)

    def eof_received(self) -> bool:
        self._pass(None)
        return True  # half-close: the other direction may still be sending

    def connection_lost(self, exc: Exception | None) -> None:
        if self.other is not None and self.other.transport is not None:
            self.other.transport.close()

    def _pass(self, data: bytes | None) -> None:
        if self.other is None or self.other.transport is None:
            self.pending.append(data)
        else:
            self.other._take(data)

    def _take(self, data: bytes | None) -> None:
        if data is not None:
            self.transport.write(data)
        elif self.other.pending is None:  # the other direction has ended too: the connection is over
            self.transport.close()
            self.other.transport.close()
        else:
            self.pending = None  # marks this direction as ended
            if self.transport.can_write_eof():
                self.transport.write_eof()


async def _relay(listen_port: int, upstream_port: int) -> None:
    loop = asyncio.get_running_loop()

    def client() -> _Side:
        side = _Side()
        side.connecting = loop.create_task(_connect(side))
        return side

    async def _connect(side: _Side) -> None:
        try:
            await loop.create_connection(lambda: _Side(side), "127.0.0.1", upstream_port)
        except OSError:
            if side.transport is not None:
                side.transport.close()

    server = await loop.create_server(client, "127.0.0.1", listen_port, backlog=4096, reuse_address=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("listening", flush=True)
    await stop.wait()
    server.close()


def main() -> None:
    listen_port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
    loop_factory = None
    if (sys.argv[3] if len(sys.argv) > 3 else "uvloop") == "uvloop":
        import uvloop
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_relay(listen_port, upstream_port))


if __name__ == "__main__":
    main()
