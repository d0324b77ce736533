"""monitoring-ingest: takes metric pushes from internal agents (as the real event's
monitoring did, its traffic crossing the same devices as everything else)."""

from __future__ import annotations

from aiohttp import web

from services.api_doc import answer, body_errors, error, request_body, route
from services.inputs import json_body
from services.keys import SETTINGS
from services.workload import serve
from stormlab_common.contracts.service import MetricPush, ServiceConfig
from stormlab_common.model import schema_of

EXPECTED_PUSH = ('{"agent": "host-1", "samples": [{"name": "cpu_seconds_total", "value": 1.5, '
                 '"labels": {"core": "0"}}]} (at most 1000 samples)')
EXAMPLE = {"agent": "host-1",
           "samples": [{"name": "cpu_seconds_total", "value": 1.5, "labels": {"core": "0"}}]}
ACCEPTED = {"type": "object", "required": ["accepted"],
            "properties": {"accepted": {"type": "integer", "minimum": 0, "description": "samples taken"}}}


def install(app: web.Application, config: ServiceConfig, metrics) -> None:
    ingested = metrics.ingested_samples.labels(config.name, config.replica)
    ingested.inc(0)  # the series exists from the start

    async def push_metrics(request: web.Request) -> web.StreamResponse:
        settings = request.app[SETTINGS].current
        push = await json_body(request, MetricPush, EXPECTED_PUSH, settings.max_request_bytes)

        def ingest() -> web.Response:
            ingested.inc(len(push.samples))
            return web.json_response({"accepted": len(push.samples)}, status=202)

        return await serve(request, ingest)

    route(app, "POST", "/v1/metrics", push_metrics, name="push_metrics", work=True,
          summary="push an agent's metric samples", links={"202": "metrics"},
          body=request_body(schema_of(MetricPush), EXPECTED_PUSH, example=EXAMPLE),
          responses={"202": answer("taken", ACCEPTED),
                     "400": error("not a push (each problem named), or a malformed header"),
                     **body_errors(config.max_request_bytes)})
