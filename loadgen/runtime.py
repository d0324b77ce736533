"""What one locust process's simulated clients share: the config, the metrics, the attempt
cap, the workload, and the numbering that seeds each client's own random stream; and how a
new config reaches the clients already running."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from loadgen.arrivals import arrival_gaps
from loadgen.attempt_cap import AttemptCap
from loadgen.logical_request import ClientContext
from loadgen.metrics import ClientMetrics
from loadgen.policies import make_policy
from loadgen.transport import Transport
from loadgen.workload import Workload
from stormlab_common.contracts.loadgen import LoadgenConfig


@dataclass(eq=False)  # kept in a set by identity
class RunningClient:
    """A client's own random stream, and what its next requests are sent with: a reconfigure
    swaps the context, and requests under way keep the one they started with."""

    rng: random.Random
    context: ClientContext


class Runtime:
    def __init__(self, config: LoadgenConfig, registry: CollectorRegistry, clock: Callable[[], float],
                 sleep: Callable[[float], None], worker_index: Callable[[], int] = lambda: 0,
                 on_attempt: Callable[..., None] = lambda name, call, attempt, sent: None,
                 on_send: Callable[[int], None] = lambda attempt: None):
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.metrics = ClientMetrics(registry)
        self.workload = Workload(config.workload)
        self.cap = self._new_cap()
        # Called before each new client; a worker waits there for its master's current config.
        self.wait_for_config: Callable[[], None] = lambda: None
        self._worker_index = worker_index
        self._on_attempt = on_attempt
        self._on_send = on_send
        self._numbers = itertools.count()
        self._clients: set[RunningClient] = set()
        self.metrics.report_policy_states(self._policy_states)

    def new_client(self) -> RunningClient:
        """A client's random stream, profile, policy and transport; counted as active."""
        self.wait_for_config()
        rng = self._client_rng()
        client = RunningClient(rng, self._context(rng))
        self._clients.add(client)
        self.metrics.active_clients.labels(client.context.policy_name).inc()
        return client

    def is_running(self, client: RunningClient) -> bool:
        return client in self._clients

    def client_stopped(self, client: RunningClient) -> None:
        self._clients.discard(client)
        self.metrics.active_clients.labels(client.context.policy_name).dec()
        client.context.transport.close()

    def reconfigure(self, config: LoadgenConfig) -> None:
        """New clients take ``config``, and running ones at once: each re-picks its profile with
        its own stream and gets a fresh policy. Requests under way finish with what they started
        with; arrivals change at each client's next arrival (``arrivals``)."""
        old_rate = self.config.max_attempts_per_second
        self.config, self.workload = config, Workload(config.workload)
        if config.max_attempts_per_second != old_rate:
            self.cap = self._new_cap()  # requests under way keep the old one to their end
        if not self._clients:
            # no client has drawn from the numbering under this config: a seeded run after the
            # change has the same clients and schedules as a process started with it
            self._numbers = itertools.count()
        for client in list(self._clients):
            old = client.context
            client.context = self._context(client.rng, old.transport)
            self.metrics.active_clients.labels(old.policy_name).dec()
            self.metrics.active_clients.labels(client.context.policy_name).inc()
            if client.context.transport is not old.transport:
                old.transport.close()

    def arrivals(self, rng: random.Random) -> Iterator[float]:
        """When a client's logical requests arrive (clock times), forever. When a reconfigure
        changes the process or the rate, the schedule restarts at the client's next arrival."""
        while True:
            arrivals = self.config.arrivals
            at = self.clock()
            for gap in arrival_gaps(arrivals.process, arrivals.requests_per_second, rng):
                at += gap
                yield at
                if self.config.arrivals != arrivals:
                    break

    def _context(self, rng: random.Random, transport: Transport | None = None) -> ClientContext:
        """A profile picked by weight, a fresh policy, and ``transport`` unless the targets or
        the profile's connection settings differ from those it was made with."""
        profile = rng.choices(self.config.profiles, [p.weight for p in self.config.profiles])[0]
        policy = make_policy(profile.policy, rng, self.clock)
        settings = (self.config.target_urls, profile.reuses_connections, profile.connect_timeout_seconds)
        if transport is None or transport.settings != settings:
            transport = Transport(*settings)
        return ClientContext(profile, policy, transport, profile.respects_retry_after, self.metrics, self.cap,
                             self.clock, self.sleep, self._on_attempt, self._on_send)

    def _new_cap(self) -> AttemptCap:
        return AttemptCap(self.config.max_attempts_per_second, self.clock, self.sleep,
                          self.metrics.generator_wait.inc)

    def _client_rng(self) -> random.Random:
        number = next(self._numbers)
        if self.config.seed is None:
            return random.Random()
        # the same seed, worker and client number give the same stream: the same schedule
        return random.Random(f"{self.config.seed}/{self._worker_index()}/{number}")

    def _policy_states(self) -> Iterator[tuple[str, str, float]]:
        sums: dict[tuple[str, str], float] = defaultdict(float)
        for client in list(self._clients):
            for state, value in client.context.policy.state().items():
                sums[client.context.policy_name, state] += value
        for (policy, state), value in sorted(sums.items()):
            yield policy, state, value
