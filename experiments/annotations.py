"""Timeline events as Grafana annotations, when Grafana is there to take them.

Posting needs an editor's credentials: the admin password the stack was started with
(``STORMLAB_GRAFANA_ADMIN_PASSWORD``; anonymous viewers may only look). Without Grafana, or
without the password, the run says so in its notes and carries on.
"""

from __future__ import annotations

import os

from experiments.clients.grafana import GrafanaClient
from experiments.errors import ComponentError
from experiments.run_record import RunRecord

TAGS = ["stormlab"]


def post(lab, record: RunRecord, started_wall: float | None) -> str:
    if lab.grafana is None:
        return "Grafana annotations skipped: Grafana is not running (see README: it cannot run offline)"
    password = os.environ.get("STORMLAB_GRAFANA_ADMIN_PASSWORD")
    if not password:
        return (
            "Grafana annotations skipped: set STORMLAB_GRAFANA_ADMIN_PASSWORD to the stack's admin password"
        )
    if started_wall is None:
        return "Grafana annotations skipped: the timeline never started"
    grafana = GrafanaClient(lab.grafana, password)
    posted = 0
    scenario = record.scenario.name
    for event in record.timeline:
        try:
            grafana.annotate(
                int(event.wall_time * 1000),
                [*TAGS, scenario, event.kind],
                f"{scenario}: {event.name}: {event.detail}",
            )
        except ComponentError as exc:
            return f"Grafana annotations stopped after {posted}: {exc}"
        posted += 1
    return f"Grafana: {posted} annotations posted"
