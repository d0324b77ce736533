"""control-plane: an EC2-like API. Describe and launch calls, medium responses.

Launched instances are kept in memory (the most recent ``KEPT_INSTANCES``), so a describe
call shows what launches did.
"""

from __future__ import annotations

import itertools
import time
import zlib
from collections import deque

from aiohttp import web

from services.api_doc import answer, body_errors, error, request_body, route
from services.inputs import json_body
from services.keys import SETTINGS
from services.padding import padded_json
from services.workload import serve
from stormlab_common.contracts.service import Launch, ServiceConfig
from stormlab_common.model import schema_of
from stormlab_common.web import app_key

KEPT_INSTANCES = 1000
DESCRIBED_INSTANCES = 50
EXPECTED_LAUNCH = '{"count": 1 to 100, "instance_type": "m5.large" (optional)}'
LAUNCH_EXAMPLE = {"count": 2, "instance_type": "m5.large"}
INSTANCE = {"type": "object", "required": ["instance_id", "instance_type", "state", "launched_at"],
            "properties": {"instance_id": {"type": "string"}, "instance_type": {"type": "string"},
                           "state": {"const": "pending"}, "launched_at": {"type": "number"}}}
INSTANCES = {"type": "object", "required": ["instances"],
             "properties": {"instances": {"type": "array", "items": INSTANCE},
                            "padding": {"type": "string", "description": "fills work.response_bytes"}}}


class Instances:
    """The instances this replica launched, newest last."""

    def __init__(self, replica: str):
        self._recent: deque[dict] = deque(maxlen=KEPT_INSTANCES)
        self._ids = itertools.count(1)
        self._prefix = zlib.crc32(replica.encode()) & 0xFFFF

    def launch(self, count: int, instance_type: str) -> list[dict]:
        launched = [{"instance_id": f"i-{self._prefix:04x}{next(self._ids):013x}",
                     "instance_type": instance_type, "state": "pending",
                     "launched_at": time.time()}  # wall clock: a timestamp, not a duration
                    for _ in range(count)]
        self._recent.extend(launched)
        return launched

    def recent(self, limit: int) -> list[dict]:
        return list(self._recent)[-limit:]


LAUNCHED = app_key("instances", Instances)


def install(app: web.Application, config: ServiceConfig, metrics) -> None:
    app[LAUNCHED] = Instances(config.replica)
    route(app, "GET", "/v1/instances", describe_instances, name="describe_instances", work=True,
          summary=f"the {DESCRIBED_INSTANCES} instances launched last, padded to work.response_bytes",
          responses={"200": answer("instances", INSTANCES)})
    route(app, "POST", "/v1/instances", run_instances, name="run_instances", work=True,
          summary="launch instances", links={"201": "describe_instances"},
          body=request_body(schema_of(Launch), EXPECTED_LAUNCH, example=LAUNCH_EXAMPLE),
          responses={"201": answer("launched", INSTANCES),
                     "400": error("not a launch (each problem named), or a malformed header"),
                     **body_errors(config.max_request_bytes)})


async def describe_instances(request: web.Request) -> web.StreamResponse:
    size = request.app[SETTINGS].current.work.response_bytes
    instances = request.app[LAUNCHED]
    return await serve(request, lambda: padded_json(
        {"instances": instances.recent(DESCRIBED_INSTANCES)}, size))


async def run_instances(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS].current
    launch = await json_body(request, Launch, EXPECTED_LAUNCH, settings.max_request_bytes)
    instances = request.app[LAUNCHED]
    return await serve(request, lambda: web.json_response(
        {"instances": instances.launch(launch.count, launch.instance_type)}, status=201))
