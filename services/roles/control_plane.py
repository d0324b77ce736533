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

from services.inputs import json_body
from services.keys import SETTINGS
from services.padding import padded_json
from services.settings import ServiceConfig
from services.workload import serve
from stormlab_common.web import app_key

KEPT_INSTANCES = 1000
DESCRIBED_INSTANCES = 50
LAUNCH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["count"],
    "properties": {
        "count": {"type": "integer", "minimum": 1, "maximum": 100},
        "instance_type": {"type": "string", "pattern": "^[a-z0-9]{1,16}\\.[a-z0-9]{1,16}$"},
    },
}
EXPECTED_LAUNCH = '{"count": 1 to 100, "instance_type": "m5.large" (optional)}'


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


INSTANCES = app_key("instances", Instances)


def install(app: web.Application, config: ServiceConfig, metrics) -> None:
    app[INSTANCES] = Instances(config.replica)
    app.router.add_get("/v1/instances", describe_instances, name="describe_instances")
    app.router.add_post("/v1/instances", run_instances, name="run_instances")


async def describe_instances(request: web.Request) -> web.StreamResponse:
    size = request.app[SETTINGS].current.live.work.response_bytes
    instances = request.app[INSTANCES]
    return await serve(request, lambda: padded_json(
        {"instances": instances.recent(DESCRIBED_INSTANCES)}, size))


async def run_instances(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS].current
    launch = await json_body(request, LAUNCH_SCHEMA, EXPECTED_LAUNCH, settings.max_request_bytes)
    instances = request.app[INSTANCES]
    return await serve(request, lambda: web.json_response(
        {"instances": instances.launch(launch["count"], launch.get("instance_type", "m5.large"))},
        status=201))
