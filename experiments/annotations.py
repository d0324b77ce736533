"""Timeline events as Grafana annotations, when Grafana is there to take them.

Posting needs an editor's credentials: the admin password the stack was started with
(``STORMLAB_GRAFANA_ADMIN_PASSWORD``; anonymous viewers may only look). Without Grafana, or
without the password, the run says so in its notes and carries on.
"""

from __future__ import annotations

import os

import requests

TAGS = ["stormlab"]


def post(lab, record: dict, started_wall: float | None) -> str:
    if lab.grafana is None:
        return "Grafana annotations skipped: Grafana is not running (see README: it cannot run offline)"
    password = os.environ.get("STORMLAB_GRAFANA_ADMIN_PASSWORD")
    if not password:
        return (
            "Grafana annotations skipped: set STORMLAB_GRAFANA_ADMIN_PASSWORD to the stack's admin password"
        )
    if started_wall is None:
        return "Grafana annotations skipped: the timeline never started"
    posted = 0
    for event in record["timeline"]:
        body = {
            "time": int(event["wall_time"] * 1000),
            "tags": [*TAGS, record["scenario"]["name"], event["kind"]],
            "text": f"{record['scenario']['name']}: {event['name']}: {event['detail']}",
        }
        try:
            answer = requests.post(
                f"{lab.grafana}/api/annotations", json=body, auth=("admin", password), timeout=5
            )
        except requests.RequestException as exc:
            return f"Grafana annotations stopped after {posted}: {exc}"
        if answer.status_code >= 400:
            return f"Grafana annotations stopped after {posted}: {answer.status_code} {answer.text[:200]}"
        posted += 1
    return f"Grafana: {posted} annotations posted"
