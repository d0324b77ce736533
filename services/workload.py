"""Putting a request's work through the replica's capacity, from an HTTP handler.

Handlers parse and validate on arrival (cheap, and a malformed request never takes a
worker), then hand ``serve`` a ``work`` callable that does the endpoint's effect and
builds its response once a worker has spent the service time on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from aiohttp import web

from services.inputs import attempt_of, deadline_seconds_of
from services.job import Job
from services.keys import SETTINGS, STATION
from services.station import Shed
from stormlab_common.web import json_error


async def serve(request: web.Request, work: Callable[[], web.StreamResponse]) -> web.StreamResponse:
    attempt, deadline_seconds = attempt_of(request), deadline_seconds_of(request)
    now = time.monotonic()
    job = Job(request.match_info.route.name, attempt, arrived_at=now,
              deadline_at=None if deadline_seconds is None else now + deadline_seconds)
    task = request.app[STATION].submit(job, work, lambda: client_gone(request))
    fate = await finish_even_if_client_leaves(task)
    if isinstance(fate, Shed):
        return shed_response(fate, request.app[SETTINGS].current.name)
    return fate.result


async def finish_even_if_client_leaves(task: asyncio.Task):
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        # aiohttp < 3.10 cancels the handler when the client disconnects; newer versions
        # let it run. Wait for the work either way, so the request's whole life is timed
        # and counted alike on every version; then let the cancellation go on.
        with contextlib.suppress(Exception):
            await asyncio.shield(task)
        raise


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def shed_response(fate: Shed, service: str) -> web.Response:
    response = json_error(503, f"{service} is overloaded and shed this request ({fate.reason})",
                          reason=fate.reason, retry_after_seconds=fate.retry_after_seconds)
    response.headers["Retry-After"] = str(fate.retry_after_seconds)
    return response
