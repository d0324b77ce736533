"""The workers the master knows, on locust's own web port (docs/remote-workers.md):

- ``GET /stormlab/workers``: how many are connected and, for each, its id, the address it
  advertised for its metrics (null: none) and when it was last heard from;
- ``GET /stormlab/workers/http-sd``: the advertised addresses as a Prometheus HTTP service
  discovery document (https://prometheus.io/docs/prometheus/latest/http_sd/), which
  prometheus/prometheus.yml's job ``loadgen-remote`` reads, so workers on other hosts are
  scraped where they said. The stack's own workers advertise nothing: Prometheus finds them
  by DNS, and none is scraped twice.

Only answers: the WorkerRegistry holds what was heard, ``connected`` says who is connected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask

from loadgen.http_guard import json_view
from loadgen.worker_registry import WorkerRegistry

PATH = "/stormlab/workers"
HTTP_SD_PATH = "/stormlab/workers/http-sd"
# A label for relabelling only: Prometheus drops __meta_* labels after relabelling, so by default
# a remote worker's series carry the same labels as a worker of the stack's (job and instance).
WORKER_LABEL = "__meta_stormlab_worker_id"


def add_routes(app: Flask, registry: WorkerRegistry, connected: Callable[[], Iterable[str]],
               protect: Callable = lambda view: view) -> None:
    """``protect``: locust's login check, so the API is as open as the UI and no more (a
    Prometheus reading the document then needs the same credentials)."""

    def get_workers():
        workers = registry.workers(connected())
        return {"count": len(workers),
                "workers": [{"id": seen.id, "metrics": seen.metrics, "last_seen": seen.last_seen}
                            for seen in workers]}

    def get_http_sd():
        return http_sd_document(registry, connected())

    app.add_url_rule(PATH, "stormlab_workers_get", protect(json_view(get_workers)), methods=["GET"])
    app.add_url_rule(HTTP_SD_PATH, "stormlab_workers_http_sd", protect(json_view(get_http_sd)),
                     methods=["GET"])


def http_sd_document(registry: WorkerRegistry, connected: Iterable[str]) -> list[dict]:
    """One target group per connected worker that advertised its metrics; ``[]`` when none did
    (what Prometheus expects of an HTTP SD endpoint with no targets)."""
    groups, listed = [], set()
    for seen in registry.workers(connected):
        if seen.metrics is not None and seen.metrics not in listed:  # one scrape per address
            listed.add(seen.metrics)
            groups.append({"targets": [seen.metrics], "labels": {WORKER_LABEL: seen.id}})
    return groups
