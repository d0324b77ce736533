"""A service's Prometheus metrics, registered on an injected registry (never the global one)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from stormlab_common import metric_names as names

# Service time runs from milliseconds (dns) to seconds (an overloaded queue).
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

PER_ENDPOINT = [names.SERVICE, names.ENDPOINT, names.REPLICA]
PER_REPLICA = [names.SERVICE, names.REPLICA]


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry):
        def counter(name, text, labels=PER_ENDPOINT):
            return Counter(name, text, labels, registry=registry)

        def gauge(name, text, labels=PER_REPLICA):
            return Gauge(name, text, labels, registry=registry)

        def histogram(name, text):
            return Histogram(name, text, PER_ENDPOINT, buckets=DURATION_BUCKETS, registry=registry)

        self.requests = counter(
            names.SERVICE_REQUESTS, "Requests answered (or abandoned by their client), by outcome.",
            [*PER_ENDPOINT, names.OUTCOME])
        self.duration = histogram(names.SERVICE_REQUEST_DURATION,
                                  "Time from a request's arrival to its response being ready.")
        self.in_flight = gauge(names.SERVICE_IN_FLIGHT, "Requests arrived and not yet answered.",
                               PER_ENDPOINT)
        self.queued = gauge(names.SERVICE_QUEUED, "Requests waiting for a worker.", PER_ENDPOINT)
        self.busy_workers = gauge(names.SERVICE_BUSY_WORKERS, "Workers serving a request now.")
        self.queue_wait = histogram(names.SERVICE_QUEUE_WAIT,
                                    "Time a served request waited for a worker.")
        self.work_duration = histogram(names.SERVICE_WORK_DURATION,
                                       "Service time: how long a worker spent on a request.")
        self.rejected = counter(names.SERVICE_REJECTED, "Requests shed with a 503, by reason.",
                                [*PER_ENDPOINT, names.REASON])
        self.bad_requests = counter(names.SERVICE_BAD_REQUESTS,
                                    "Requests refused as malformed (4xx), by reason.",
                                    [*PER_ENDPOINT, names.REASON])
        self.completed_after_deadline = counter(
            names.SERVICE_COMPLETED_AFTER_DEADLINE,
            "Requests whose work finished after the deadline their client sent (X-Deadline-Ms).")
        self.wasted_work = counter(
            names.SERVICE_WASTED_WORK,
            "Service time spent on requests whose client had already given up, by reason "
            "(deadline_passed, client_gone).", [*PER_ENDPOINT, names.REASON])
        self.limit_workers = gauge(names.SERVICE_LIMIT_WORKERS, "Configured workers (concurrent requests).")
        self.limit_queue = gauge(names.SERVICE_LIMIT_QUEUE, "Configured queue length.")
        self.limit_queue_delay = gauge(
            names.SERVICE_LIMIT_QUEUE_DELAY,
            "Admission control's bound on the expected queueing delay (0 when it is off).")
        self.capacity = gauge(names.SERVICE_CAPACITY,
                              "Configured capacity: workers / mean service time.")
        self.mitigation_enabled = gauge(names.SERVICE_MITIGATION_ENABLED,
                                        "1 when a mitigation is on, else 0.",
                                        [*PER_REPLICA, names.MITIGATION])
        self.membership_version = gauge(
            names.SERVICE_MEMBERSHIP_VERSION,
            "Version of the membership a dns replica publishes, per service.",
            [*PER_REPLICA, names.TARGET])
        self.membership_endpoints = gauge(
            names.SERVICE_MEMBERSHIP_ENDPOINTS, "Endpoints in the membership a dns replica publishes.",
            [*PER_REPLICA, names.TARGET])
        self.kv_items = gauge(names.SERVICE_KV_ITEMS, "Items stored (kv role).")
        self.kv_bytes = gauge(names.SERVICE_KV_BYTES, "Bytes of values stored (kv role).")
        self.limit_kv_items = gauge(names.SERVICE_LIMIT_KV_ITEMS, "Configured item limit (kv role).")
        self.ingested_samples = counter(names.SERVICE_INGESTED_SAMPLES,
                                        "Metric samples accepted (monitoring-ingest role).", PER_REPLICA)


# nginx's convention for "the client closed the connection before the response".
CLIENT_CLOSED = 499
# The one 5xx a service sends on purpose: it shed the request (queue full, admission...).
SHED = 503


def outcome_of(status: int) -> str:
    if status == CLIENT_CLOSED:
        return "client_closed"
    if status == SHED:
        return "rejected"
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "client_error"
    return "success"
