"""One client connection across a link: the device admits it or turns it away, the proxy
connects onward to the service, two flows carry its bytes, and it ends exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from typing import TYPE_CHECKING

from proxy.admission import ConnectionTable, Refused
from proxy.arrival_timeline import seconds_since_arrival
from proxy.flow import Flow
from proxy.http_tap import DROP, FORWARD, HttpTap
from proxy.resolver import Unresolvable
from stormlab_common.contracts.proxy import MAX_CHUNK_BYTES
from stormlab_common.metric_names import DOWNSTREAM, UPSTREAM

if TYPE_CHECKING:
    from proxy.link import Link

log = logging.getLogger(__name__)

CLIENT, SERVER = "client", "server"

# Every endpoint reads into this one buffer and copies out what arrived. The selector event
# loop calls get_buffer, recv_into and buffer_updated back to back, so sharing it is safe,
# and an idle connection then costs no read buffer of its own.
_READ_VIEW = memoryview(bytearray(MAX_CHUNK_BYTES))


class Endpoint(asyncio.BufferedProtocol):
    """The protocol on either socket of a proxied connection."""

    __slots__ = ("_link", "connection", "side")

    def __init__(self, side: str, connection: Connection | None = None, link: Link | None = None):
        self.side = side
        self.connection = connection
        self._link = link

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.connection is None:  # a client, accepted by a link's listener
            self.connection = Connection(self._link, transport)
        else:
            # Wired here, not once create_connection returns to the setup: the service may
            # speak first and its bytes then have flows to go to, so its socket is never paused
            # and resumed (two epoll changes per connection in a setup storm).
            self.connection.wire(transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _READ_VIEW[: self.connection.read_bytes(self.side)]

    def buffer_updated(self, nbytes: int) -> None:
        self.connection.received(self.side, bytes(_READ_VIEW[:nbytes]))

    def eof_received(self) -> bool:
        self.connection.eof(self.side)
        return True  # keep the transport open: the other direction may still be sending

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection.lost(self.side, exc)

    def pause_writing(self) -> None:
        self.connection.sink_paused(self.side, True)

    def resume_writing(self) -> None:
        self.connection.sink_paused(self.side, False)


class Connection:
    # Nothing is read from the client until the device admits the connection, so, like a real
    # device, the proxy cannot tell that a waiting client gave up: the attempt keeps its place
    # in the backlog until admitted (wasted setup work) or timed out.
    def __init__(self, link: Link, client: asyncio.Transport):
        self.link = link
        self.loop = link.loop
        self.client = client
        self.server: asyncio.Transport | None = None
        self.flows: dict[str, Flow] = {}  # by the side each flow writes to
        self.ended = False
        self._table: ConnectionTable | None = None  # holds our slot once admitted
        self._device = link.device.name  # the device that admitted us, for its metrics
        self._http: HttpTap | None = None
        self._open_flows = 2
        self._held: list[tuple[str, bytes | None]] = []  # arrived before the flows existed
        client.pause_reading()  # nothing is read until the device has taken the connection
        link.connections.add(self)
        # When the client knocked: the connection may have waited in the listen queue while
        # the loop was busy, and the kernel knows for how long.
        arrived_at = time.time() - seconds_since_arrival(client.get_extra_info("socket"))
        # The setup under way (waiting for the device, a lookup, the onward connect), if any;
        # cancelled should the connection end first.
        self._setup: asyncio.Future | None = None
        self._connect_timer: asyncio.TimerHandle | None = None
        self._open(arrived_at)

    # -- setting up ----------------------------------------------------------------------
    def _open(self, arrived_at: float) -> None:
        """Everything that needs no waiting runs here, at once. A connection the device admits
        at once, to an address already looked up (a setup storm's common case), then runs no
        coroutine of ours: only the onward connect's task, with a timer for its timeout
        (asyncio.timeout and a coroutine around the connect were a tenth of a setup's CPU)."""
        link, device = self.link, self.link.device
        link.arrived(device.name, arrived_at)
        if link.faults.resets_connection():
            link.count_attempt(device.name, "reset", "fault")
            self._end("fault", abort=True)
            return
        device.charge_setup()  # every attempt costs the device work, admitted or not
        if not device.table.try_admit():  # no room or no token at once: wait in the backlog
            self._setup = self.loop.create_task(self._admit_then_connect(self.loop.time()))
            return
        self._admitted(0.0)
        address = link.addresses.cached()
        if address is None:
            self._setup = self.loop.create_task(self._look_up_then_connect())
        else:
            self._connect(*address)

    async def _admit_then_connect(self, arrived: float) -> None:
        device = self.link.device
        try:
            await device.table.admit()
        except Refused as refused:
            self._setup = None  # ending: nothing of ours left to cancel
            action = device.table.limits.on_overflow
            self.link.count_attempt(device.name, "reset" if action == "reset" else "refused", refused.reason)
            self._end("refused", abort=action == "reset")
            return
        self._admitted(self.loop.time() - arrived)
        await self._look_up_then_connect()

    async def _look_up_then_connect(self) -> None:
        link = self.link
        try:
            host, port = link.addresses.cached() or await link.addresses.next()
        except OSError as exc:  # Unresolvable
            self._setup = None
            link.count_upstream_failure(self._device, _failure_reason(exc))
            self._end("upstream_unreachable")
            return
        self._connect(host, port)

    def _admitted(self, waited_seconds: float) -> None:
        device = self.link.device
        self._table, self._device = device.table, device.name
        self.link.admitted(self._device, waited_seconds)

    def _connect(self, host: str, port: int) -> None:
        """Connect onward; the socket wires itself to the flows (``wire``) once it is up."""
        connecting = self._setup = self.loop.create_task(
            self.loop.create_connection(lambda: Endpoint(SERVER, self), host, port))
        connecting.add_done_callback(self._connected)
        self._connect_timer = self.loop.call_later(
            self.link.settings.connect_timeout_seconds, self._connect_timed_out, connecting)

    def _connect_timed_out(self, connecting: asyncio.Task) -> None:
        self._connect_timer = None
        connecting.cancel()  # _connected then counts it as a timeout

    def _connected(self, connecting: asyncio.Task) -> None:
        self._setup = None
        timer, self._connect_timer = self._connect_timer, None
        if timer is not None:
            timer.cancel()
        if self.ended:  # the client left first (and the task was cancelled for it)
            return
        if connecting.cancelled():
            failure: BaseException = TimeoutError()  # cancelled by its timer: nothing else cancels it
        else:
            failure = connecting.exception()
            if failure is None:
                return  # wired in connection_made
        if isinstance(failure, (TimeoutError, OSError)):
            self.link.count_upstream_failure(self._device, _failure_reason(failure))
            self._end("upstream_unreachable")
        else:  # not a connect failure: a bug, which must not leave the connection half open
            log.error("link %s: the onward connect failed unexpectedly", self.link.name, exc_info=failure)
            self._end("upstream_unreachable", abort=True)

    def wire(self, server: asyncio.Transport) -> None:
        """The onward connection is up: two flows now carry the bytes, those held first."""
        self.server = server
        if self.ended:  # the client left while we connected onward
            server.close()
            return
        link = self.link
        self.flows[SERVER] = Flow(link.lanes[UPSTREAM], self.client, self.server, self.flow_ended)
        self.flows[CLIENT] = Flow(link.lanes[DOWNSTREAM], self.server, self.client, self.flow_ended)
        if link.protocol == "http":
            self._http = HttpTap(self._on_request)
        held, self._held = self._held, []
        for side, data in held:
            if data is None:
                self.eof(side)
            else:
                self.received(side, data)
        if not self.ended:
            flow = self.flows[SERVER]  # the client's bytes: held in its socket until now
            if not flow.blocked_by and not flow.eof_received:
                flow.source.resume_reading()

    # -- events from the endpoints ----------------------------------------------------------
    def read_bytes(self, side: str) -> int:
        """The most the next read of ``side``'s socket may take (the flow it feeds says)."""
        if self.flows:
            return self.flows[SERVER if side == CLIENT else CLIENT].read_bytes()
        return self.link.settings.chunk_bytes

    def received(self, side: str, data: bytes) -> None:
        if self.ended:
            return
        if not self.flows:
            self._hold(side, data)
            return
        if side == SERVER:
            self.flows[CLIENT].receive(data)
            return
        pieces = self._http.feed(data) if self._http is not None else (data,)
        for piece in pieces:
            if self.ended:  # a fault reset the connection mid-way
                return
            self.flows[SERVER].receive(piece)

    def eof(self, side: str) -> None:
        if self.ended:
            return
        if not self.flows:
            self._hold(side, None)
            return
        toward = SERVER if side == CLIENT else CLIENT
        if toward == SERVER and self._http is not None:
            for piece in self._http.flush():
                self.flows[SERVER].receive(piece)
        self.flows[toward].receive(None)

    def _hold(self, side: str, data: bytes | None) -> None:
        """Keep what arrived before the connection was wired, and stop reading that side.

        A pause asked for in connection_made does not hold on every Python: 3.11.2 (Debian's)
        registers the reader afterwards anyway, leaving the transport marked paused while it
        reads, and every later pause_reading() a silent no-op (so no backpressure at all).
        Resuming re-registers the reader and clears the mark; pausing then truly pauses.
        """
        self._held.append((side, data))
        transport = self.client if side == CLIENT else self.server
        if transport is not None:
            transport.resume_reading()
            transport.pause_reading()

    def lost(self, side: str, exc: Exception | None) -> None:
        if self.ended:
            return
        if not self.flows:  # still being set up
            self._end("client_left" if side == CLIENT else "server_reset")
            return
        if exc is not None:
            self._end(f"{side}_reset", abort=True)
            return
        # An orderly close: this side will neither send nor take anything more.
        toward_other = SERVER if side == CLIENT else CLIENT
        self.flows[toward_other].receive(None)  # a no-op if its end already arrived
        toward_this = self.flows[side]
        if not toward_this.eof_written:
            toward_this.discard()
            toward_this.eof_written = True
            self.flow_ended(toward_this)

    def sink_paused(self, side: str, paused: bool) -> None:
        flow = self.flows.get(side)
        if flow is not None and not self.ended:
            flow.set_sink_paused(paused)

    def flow_ended(self, flow: Flow) -> None:
        self._open_flows -= 1
        if self._open_flows == 0:
            self._end("closed")

    # -- HTTP requests (links with protocol http) ------------------------------------------
    def _on_request(self, method: str, target: str) -> str:
        action = self.link.faults.on_request(method, target)
        if action is None:
            self.link.count_request(self.link.device.name, "forwarded")
            return FORWARD
        if action.reset:
            self.link.count_request(self.link.device.name, "reset_by_fault")
            self._end("fault", abort=True)
        else:
            self.link.count_request(self.link.device.name, "answered_by_fault")
            self.flows[CLIENT].receive(action.response)
        return DROP

    # -- the end ----------------------------------------------------------------------------
    def _end(self, reason: str, abort: bool = False) -> None:
        if self.ended:
            return
        self.ended = True
        setup, self._setup = self._setup, None
        if setup is not None:
            setup.cancel()
        if self._connect_timer is not None:
            self._connect_timer.cancel()
            self._connect_timer = None
        for flow in self.flows.values():
            flow.discard()
        for transport in (self.client, self.server):
            if transport is None:
                continue
            if abort:
                _reset(transport)
            else:
                transport.close()
        if self._table is not None:
            self._table.release()
            self.link.released(self._device, reason)
        self.link.connections.discard(self)

    def close(self) -> None:
        """End the connection from the proxy's side (link deleted, proxy stopping)."""
        self._end("proxy_closed")


def _reset(transport: asyncio.Transport) -> None:
    """Close with RST rather than FIN, as a device dropping the flow's state would."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, Unresolvable):
        return "unresolvable"
    return "error"
