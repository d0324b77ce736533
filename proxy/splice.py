"""Forwarding bytes between two stream pairs, both ways, until both sides are done."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               on_forwarded: Callable[[int], None], chunk_bytes: int) -> None:
    """Copy ``reader`` to ``writer`` until EOF, then pass the EOF on (half-close)."""
    while data := await reader.read(chunk_bytes):
        writer.write(data)
        on_forwarded(len(data))
        await writer.drain()  # backpressure: never read faster than the far side takes
    if writer.can_write_eof() and not writer.is_closing():
        with contextlib.suppress(OSError):  # the far side is already gone: nothing to tell it
            writer.write_eof()


async def splice(client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 count_upstream: Callable[[int], None], count_downstream: Callable[[int], None],
                 chunk_bytes: int) -> None:
    """Forward client->upstream and upstream->client until both directions end.

    A reset on either side aborts both, as a device dropping a flow would: otherwise the
    surviving direction could wait forever on a peer that will never speak again.
    """
    (client_reader, client_writer), (upstream_reader, upstream_writer) = client, upstream
    directions = {
        asyncio.ensure_future(pump(client_reader, upstream_writer, count_upstream, chunk_bytes)),
        asyncio.ensure_future(pump(upstream_reader, client_writer, count_downstream, chunk_bytes)),
    }
    try:
        done, _ = await asyncio.wait(directions, return_when=asyncio.FIRST_EXCEPTION)
        if any(not task.cancelled() and task.exception() for task in done):
            client_writer.transport.abort()
            upstream_writer.transport.abort()
    finally:
        for task in directions:
            task.cancel()  # no-op for a direction that already ended
        await asyncio.gather(*directions, return_exceptions=True)
