"""monitoring-ingest: takes metric pushes from internal agents (as the real event's
monitoring did, its traffic crossing the same devices as everything else)."""

from __future__ import annotations

from aiohttp import web

from services.inputs import json_body
from services.keys import SETTINGS
from services.settings import ServiceConfig
from services.workload import serve
from stormlab_common.config import NAME_SCHEMA

MAX_SAMPLES_PER_PUSH = 1000
PUSH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["agent", "samples"],
    "properties": {
        "agent": NAME_SCHEMA,
        "samples": {
            "type": "array",
            "maxItems": MAX_SAMPLES_PER_PUSH,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "value"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$",
                             "description": "a Prometheus metric name"},
                    "value": {"type": "number"},
                    "labels": {"type": "object", "maxProperties": 16,
                               "additionalProperties": {"type": "string", "maxLength": 200}},
                },
            },
        },
    },
}
EXPECTED_PUSH = ('{"agent": "host-1", "samples": [{"name": "cpu_seconds_total", "value": 1.5, '
                 '"labels": {"core": "0"}}]} (at most 1000 samples)')


def install(app: web.Application, config: ServiceConfig, metrics) -> None:
    ingested = metrics.ingested_samples.labels(config.name, config.replica)
    ingested.inc(0)  # the series exists from the start

    async def push_metrics(request: web.Request) -> web.StreamResponse:
        settings = request.app[SETTINGS].current
        push = await json_body(request, PUSH_SCHEMA, EXPECTED_PUSH, settings.max_request_bytes)

        def ingest() -> web.Response:
            ingested.inc(len(push["samples"]))
            return web.json_response({"accepted": len(push["samples"])}, status=202)

        return await serve(request, ingest)

    app.router.add_post("/v1/metrics", push_metrics, name="push_metrics")
