"""Where a link's upstream lives: its addresses, looked up at most every ``ttl`` seconds and
used in turn.

A surge of new connections must not become a surge of DNS lookups (each would cost a thread
and a round trip), and a service scaled out must be found: Docker's DNS answers a service's
name with every replica's address, so re-resolving spreads connections over new replicas.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket


class Unresolvable(OSError):
    pass


class UpstreamAddresses:
    def __init__(self, host: str, port: int, ttl_seconds: float, loop: asyncio.AbstractEventLoop):
        self.host = host
        self.port = port
        self.ttl_seconds = ttl_seconds
        self._loop = loop
        self._addresses: list[tuple[str, int]] = []
        self._next = 0
        self._expires = float("-inf")
        self._lookup: asyncio.Future | None = None
        if _is_ip(host):
            self._addresses, self._expires = [(host, port)], float("inf")

    def cached(self) -> tuple[str, int] | None:
        """The next address without a lookup while the last one is fresh; None: ``next`` must look."""
        if self._loop.time() >= self._expires:
            return None
        return self._take()

    async def next(self) -> tuple[str, int]:
        if self._loop.time() >= self._expires:
            await self._refresh()
        address = self._take()
        if address is None:
            raise Unresolvable(f"cannot resolve {self.host}")
        return address

    def _take(self) -> tuple[str, int] | None:
        """The addresses in turn; None when there are none."""
        if not self._addresses:
            return None
        address = self._addresses[self._next % len(self._addresses)]
        self._next += 1
        return address

    async def _refresh(self) -> None:
        if self._lookup is None:  # one lookup at a time, shared by every connection waiting
            self._lookup = asyncio.ensure_future(self._resolve())
        lookup = self._lookup
        try:
            await asyncio.shield(lookup)
        finally:
            if lookup.done():
                self._lookup = None

    async def _resolve(self) -> None:
        try:
            infos = await self._loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except (OSError, ValueError):  # ValueError: a name no lookup can take (a label over 63 bytes)
            # Keep serving the last known addresses; look again soon rather than at once.
            self._expires = self._loop.time() + min(self.ttl_seconds, 1.0)
            return
        addresses = sorted({(info[4][0], info[4][1]) for info in infos})
        self._addresses = addresses
        self._expires = self._loop.time() + self.ttl_seconds


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
