"""The locust master (stormlab docs/clients.md): how many clients run, and their live config.

A ``PUT /stormlab/config`` replaces the whole patch over the loadgen's base config, and the
master answers before its workers have applied it; so every change here reads the patch in
force, changes it, sends it whole, and waits until every worker reports the new generation,
as stormlab's own runner does (experiments/clients/loadgen.py): no client runs under the
old config once a change has returned.
"""

from __future__ import annotations

import time

from chaoslib.exceptions import ActivityFailed

from chaosstormlab.http import Component, Refused
from chaosstormlab.settings import Settings

CONFIG = "/stormlab/config"
APPLY_TIMEOUT = 20.0  # seconds for every worker to apply a change
APPLY_POLL = 0.2
METHOD_NOT_ALLOWED = 405


class LoadgenApi:
    def __init__(self, settings: Settings):
        self.api = Component("the load generator (locust)", settings.loadgen_url, "stormlab_loadgen_url",
                             settings.http_timeout)

    def swarm(self, count: int, spawn_rate: float) -> dict:
        """Run ``count`` clients in all, starting (or stopping) ``spawn_rate`` a second."""
        answer = self.api.call("POST", "/swarm", data={"user_count": count, "spawn_rate": spawn_rate})
        if isinstance(answer, dict) and answer.get("success") is False:
            raise ActivityFailed(f"the load generator (locust) refused to run {count} clients: "
                                 f"{answer.get('message')}")
        return answer if isinstance(answer, dict) else {}

    def stop(self) -> None:
        """``POST /stop`` (current locust), ``GET`` where only that is allowed (Debian's 2.12)."""
        try:
            self.api.call("POST", "/stop")
        except Refused as exc:
            if exc.status != METHOD_NOT_ALLOWED:
                raise
            self.api.call("GET", "/stop")

    def stats(self) -> dict:
        """locust's ``/stats/requests``: its ``state`` and ``user_count`` among the rest."""
        return self.api.call("GET", "/stats/requests")

    def client_count(self) -> int:
        return int(self.stats().get("user_count") or 0)

    def config(self) -> dict:
        """``{"generation", "patch", "config", "workers"}``."""
        return self.api.call("GET", CONFIG)

    def put_config(self, patch: dict, timeout: float = APPLY_TIMEOUT) -> dict:
        """Replace the clients' config patch; returns once every worker has applied it."""
        answer = self.api.call("PUT", CONFIG, json=patch)
        generation = answer["generation"]
        deadline = time.monotonic() + timeout
        while not _applied(answer, generation):
            if time.monotonic() > deadline:
                applied = answer.get("workers") or "no worker reported"
                raise ActivityFailed(
                    f"the load generator's workers did not apply config generation {generation} within "
                    f"{timeout:g} s (generation each applied: {applied}); expected every worker to report "
                    "it: are the loadgen-worker containers up?")
            time.sleep(APPLY_POLL)
            answer = self.config()
        return answer


def _applied(answer: dict, generation: int) -> bool:
    workers = answer.get("workers") or {}
    return bool(workers) and all(applied >= generation for applied in workers.values())
