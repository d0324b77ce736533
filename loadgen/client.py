"""A simulated internal client: a locust User running an open loop.

Its one task generates logical requests on the client's own schedule (loadgen/arrivals.py)
and starts each on a greenlet of its own, whether or not earlier ones have finished: when the
services slow down, requests pile up instead of the client slowing down with them, which is
what an open system does and what a closed loop (wait, then send the next) would hide. Up to
``max_in_flight_per_client`` run at once; arrivals beyond that are dropped and counted.

A live config change (loadgen/live_config.py) reaches a running client through the runtime:
its next requests go with the new profile and policy, its schedule changes at its next
arrival, and requests under way finish as they started.

If ``membership`` is configured, the client also polls the service's membership through the
proxy; when its version changes (the scaling activity) the client drops its pooled
connections and re-fetches from every target at once: the first wave of connection activity.
"""

from __future__ import annotations

import json

import gevent
import gevent.pool
from locust import User, constant, task

from loadgen.logical_request import SUCCESS, run_logical_request
from loadgen.runtime import Runtime
from stormlab_common.contracts.loadgen import Call


class InternalClient(User):
    wait_time = constant(0)  # the task below runs for the client's whole life
    runtime: Runtime  # set by the locustfile when the process starts

    def on_start(self) -> None:
        self._client = self.runtime.new_client()
        # a group, not a bounded pool: ``_start`` checks the bound, so a change applies at once
        self._requests = gevent.pool.Group()
        self._watcher = gevent.spawn(self._watch_membership) if self.runtime.config.membership else None
        # at 0 from the start, so a dashboard shows "none so far" rather than no data
        policy = self._client.context.policy_name
        self.runtime.metrics.dropped_arrivals.labels(policy)
        self.runtime.metrics.reconnects.labels(policy)
        if self.runtime.config.fetch_on_start:  # a booting instance fetches what it needs at once
            for name in self.runtime.workload.first_call_per_target().values():
                self._start(name)

    def on_stop(self) -> None:
        if self._watcher is not None:
            self._watcher.kill(block=False)
        self._requests.kill(block=False)
        self.runtime.client_stopped(self._client)

    @task
    def generate(self) -> None:
        runtime, rng = self.runtime, self._client.rng
        for at in runtime.arrivals(rng):
            delay = at - runtime.clock()
            if delay > 0:
                gevent.sleep(delay)  # late (a busy process)? then send at once and catch up
            self._start(runtime.workload.pick(rng))

    def _start(self, name: str) -> None:
        context = self._client.context  # the request keeps it to its end, whatever changes meanwhile
        if len(self._requests) >= self.runtime.config.max_in_flight_per_client:
            self.runtime.metrics.dropped_arrivals.labels(context.policy_name).inc()
            return
        workload = self.runtime.workload
        path, body = workload.request(name, self._client.rng)
        self._requests.spawn(run_logical_request, name, workload.calls[name], path, body, context)

    def _watch_membership(self) -> None:
        watch = self.runtime.config.membership
        path = f"/v1/membership/{watch.service}"
        call = Call(watch.target, path)
        seen = None
        gevent.sleep(self._client.rng.uniform(0, watch.poll_seconds))  # clients poll out of step
        # Ends with its client even if the kill in on_stop is lost (a user stopped mid-request
        # in a storm): a watcher outliving its client would poll forever, one run after another.
        while self.runtime.is_running(self._client):
            result, sent = run_logical_request("membership", call, path, None, self._client.context)
            version = _version(sent.data) if result == SUCCESS and sent is not None else None
            if version is not None:
                self.runtime.metrics.membership_version.labels(watch.service).set(version)
                if seen is not None and version != seen:
                    self._reconnect()
                seen = version
            gevent.sleep(watch.poll_seconds)

    def _reconnect(self) -> None:
        self._client.context.transport.reconnect()
        self.runtime.metrics.reconnects.labels(self._client.context.policy_name).inc()
        for name in self.runtime.workload.first_call_per_target().values():
            self._start(name)


def _version(data: bytes) -> int | None:
    try:
        version = json.loads(data)["version"]
    except (ValueError, KeyError, TypeError):
        return None
    return version if isinstance(version, int) else None
