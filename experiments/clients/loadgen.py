"""The locust master (docs/clients.md): how many clients run, and the clients' live config
and send times, which locust's workers apply and report a moment later."""

from __future__ import annotations

from experiments.clients.http import JsonApi
from experiments.errors import ComponentError, StackError
from experiments.waiting import poll

CONFIG = "/stormlab/config"
ATTEMPTS = "/stormlab/attempts"
WORKERS = "/stormlab/workers"
CONFIG_TIMEOUT = 20.0
CONFIG_POLL = 0.2
ATTEMPTS_TIMEOUT = 10.0
ATTEMPTS_POLL = 0.5  # workers report every half second


class LoadgenClient(JsonApi):
    def swarm(self, count: int, spawn_rate: float) -> None:
        """Run ``count`` clients, starting (or stopping) ``spawn_rate`` a second."""
        body = self.call("POST", "/swarm", data={"user_count": count, "spawn_rate": spawn_rate})
        if isinstance(body, dict) and body.get("success") is False:
            raise StackError(f"locust refused the swarm: {body.get('message')}")

    def stop(self) -> None:
        """Stop every client: ``POST /stop`` (current locust), ``GET`` where only that is
        allowed (Debian's locust 2.12)."""
        try:
            self.call("POST", "/stop")
        except ComponentError as exc:
            if exc.status != 405:
                raise
            self.call("GET", "/stop")

    def stats(self) -> dict:
        """locust's ``/stats/requests``: its ``state`` and ``user_count`` among the rest."""
        return self.call("GET", "/stats/requests")

    def stopped(self) -> bool:
        stats = self.stats()
        return stats.get("state") in ("ready", "stopped") and not stats.get("user_count")

    def worker_count(self) -> int:
        """How many workers run the clients, as the master counts them (docs/remote-workers.md):
        the stack's own and those on other hosts alike."""
        return self.call("GET", WORKERS)["count"]

    def config(self) -> dict:
        """The clients' live config: ``{"generation", "patch", "config", "workers"}``."""
        return self.call("GET", CONFIG)

    def put_config(self, patch: dict, timeout: float = CONFIG_TIMEOUT) -> dict:
        """Replace the clients' config patch, then wait until every worker has applied it,
        so no client runs under the old one after this returns. Answers ``{"generation",
        "patch", "config", "workers"}``."""
        answer = self.call("PUT", CONFIG, json=patch)
        generation = answer["generation"]

        def applied(state: dict) -> bool:
            workers = state.get("workers") or {}
            return bool(workers) and all(g >= generation for g in workers.values())

        def timed_out(state: dict) -> dict:
            raise StackError(
                f"the load generator's workers did not apply config {generation} in "
                f"{timeout:.0f} s: {state.get('workers') or {}}"
            )

        if applied(answer):
            return answer
        return poll(lambda: self.call("GET", CONFIG), applied, timeout=timeout, every=CONFIG_POLL,
                    timed_out=timed_out)

    def attempts(self, since: float, until: float, timeout: float = ATTEMPTS_TIMEOUT) -> dict:
        """When the clients sent their attempts between two wall-clock times, per 100 ms.
        Waits until every worker has reported past ``until``: workers report every half
        second, later when the machine is busy."""

        def timed_out(answer: dict) -> dict:
            raise StackError(
                f"the load generator's workers had not all reported their attempts up to the "
                f"end of the window after {timeout:.0f} s: {answer.get('workers')}"
            )

        return poll(
            lambda: self.call("GET", ATTEMPTS, params={"since": since, "until": until}),
            lambda answer: bool(answer.get("complete")),
            timeout=timeout, every=ATTEMPTS_POLL, timed_out=timed_out,
        )
