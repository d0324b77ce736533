"""Client-side metrics, per policy and target, never per client.

Recorded by the logical-request runner itself (it knows what locust's per-request events do
not: which attempt of which logical request this was, and why a request gave up). Each
locust process exports its own; Prometheus sums them across workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from stormlab_common import metric_names as names

P, T = names.POLICY, names.TARGET
# From a fast success to a deadline's worth of retries.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30)


class ClientMetrics:
    def __init__(self, registry: CollectorRegistry):
        def counter(name, text, labels):
            return Counter(name, text, labels, registry=registry)

        self.started = counter(names.CLIENT_REQUESTS_STARTED, "Logical requests started.", [P, T])
        self.finished = counter(
            names.CLIENT_REQUESTS,
            "Logical requests finished: success (within the deadline: goodput) or failure.",
            [P, T, names.OUTCOME])
        self.give_ups = counter(names.CLIENT_GIVE_UPS, "Logical requests given up, and why.",
                                [P, T, names.REASON])
        self.attempts = counter(
            names.CLIENT_ATTEMPTS,
            "Attempts sent (first tries and retries), by how each ended.", [P, T, names.OUTCOME])
        self.retries = counter(names.CLIENT_RETRIES, "Attempts after the first (retries).", [P, T])
        self.request_duration = Histogram(
            names.CLIENT_REQUEST_DURATION, "A logical request's time, retries included, any outcome.",
            [P, T], buckets=DURATION_BUCKETS, registry=registry)
        self.attempt_duration = Histogram(
            names.CLIENT_ATTEMPT_DURATION, "One attempt's time, as the client saw it.",
            [P, T], buckets=DURATION_BUCKETS, registry=registry)
        self.in_flight = Gauge(names.CLIENT_IN_FLIGHT, "Logical requests under way.", [P, T],
                               registry=registry)
        self.active_clients = Gauge(names.CLIENT_ACTIVE_CLIENTS, "Simulated clients running.", [P],
                                    registry=registry)
        self.dropped_arrivals = counter(
            names.CLIENT_DROPPED_ARRIVALS,
            "Arrivals not started because the client already had max_in_flight_per_client under way.",
            [P])
        self.generator_wait = Counter(
            names.CLIENT_GENERATOR_WAIT,
            "Time attempts waited for this process's own attempt cap (non-zero: the load "
            "generator, not the device, limited the load).", registry=registry)
        self.membership_version = Gauge(names.CLIENT_MEMBERSHIP_VERSION,
                                        "The newest membership version a client has seen.", [T],
                                        registry=registry)
        self.reconnects = counter(names.CLIENT_RECONNECTS,
                                  "Clients that dropped their connections on a membership change.", [P])
        self._policy_states: Callable[[], Iterable[tuple[str, str, float]]] = lambda: ()
        self._series: dict[tuple[str, str], Series] = {}
        registry.register(_PolicyStateCollector(lambda: self._policy_states()))

    def report_policy_states(self, source: Callable[[], Iterable[tuple[str, str, float]]]) -> None:
        """``source()`` yields (policy, state, value) summed over clients, read at scrape time."""
        self._policy_states = source

    def series(self, policy: str, target: str) -> Series:
        """The label children one (policy, target) updates on every request and attempt, made
        once: looking labels up per attempt was a fifth of an attempt's CPU."""
        key = (policy, target)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = Series(self, policy, target)
        return found


class Series:
    """One (policy, target)'s label children; outcomes and reasons are added as they occur."""

    def __init__(self, metrics: ClientMetrics, policy: str, target: str):
        self._metrics, self._labels = metrics, (policy, target)
        self.started = metrics.started.labels(policy, target)
        self.in_flight = metrics.in_flight.labels(policy, target)
        self.retries = metrics.retries.labels(policy, target)
        self.request_duration = metrics.request_duration.labels(policy, target)
        self.attempt_duration = metrics.attempt_duration.labels(policy, target)
        self._finished: dict[str, Counter] = {}
        self._attempts: dict[str, Counter] = {}
        self._give_ups: dict[str, Counter] = {}

    def finished(self, outcome: str) -> Counter:
        return self._child(self._finished, self._metrics.finished, outcome)

    def attempts(self, outcome: str) -> Counter:
        return self._child(self._attempts, self._metrics.attempts, outcome)

    def give_ups(self, reason: str) -> Counter:
        return self._child(self._give_ups, self._metrics.give_ups, reason)

    def _child(self, cache: dict, metric, value: str):
        child = cache.get(value)
        if child is None:
            child = cache[value] = metric.labels(*self._labels, value)
        return child


class _PolicyStateCollector:
    def __init__(self, source):
        self._source = source

    def collect(self):
        family = GaugeMetricFamily(
            names.CLIENT_POLICY_STATE,
            "A retry policy's state numbers summed over its clients (divide by "
            "stormlab_client_active_clients for the mean): tokens, breaker_open, ...",
            labels=[names.POLICY, names.STATE])
        for policy, state, value in self._source():
            family.add_metric([policy, state], value)
        yield family

    def describe(self):
        return []  # the families vary with the running policies: no fixed description
