"""Metric and label names shared by the components, the dashboards and the runner.

Names follow the Prometheus guide: component prefix, base units, ``_total`` on counters.
Every name here has a row in docs/metrics.md (a unit test keeps the two in step).
"""

# Label names (never a per-client or per-request label).
DEVICE = "device"
LINK = "link"
DIRECTION = "direction"  # "upstream" = client to service, "downstream" = service to client
SERVICE = "service"
ENDPOINT = "endpoint"
REPLICA = "replica"
POLICY = "policy"
TARGET = "target"
OUTCOME = "outcome"
REASON = "reason"
FAULT = "fault"

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"

# proxy: the network device between the internal and the main network
PROXY_CONNECTION_ATTEMPTS = "stormlab_proxy_connection_attempts_total"
PROXY_CONNECTION_ARRIVALS = "stormlab_proxy_connection_arrivals_total"
PROXY_UPSTREAM_CONNECT_FAILURES = "stormlab_proxy_upstream_connect_failures_total"
PROXY_CONNECTIONS_CLOSED = "stormlab_proxy_connections_closed_total"
PROXY_ACTIVE_CONNECTIONS = "stormlab_proxy_active_connections"
PROXY_WAITING_CONNECTIONS = "stormlab_proxy_waiting_connections"
PROXY_CONNECTION_SETUP_WAIT = "stormlab_proxy_connection_setup_wait_seconds"
PROXY_BYTES = "stormlab_proxy_bytes_total"
PROXY_QUEUEING_DELAY = "stormlab_proxy_queueing_delay_seconds"
PROXY_BUFFERED_BYTES = "stormlab_proxy_buffered_bytes"
PROXY_BUCKET_LEVEL = "stormlab_proxy_bucket_level_bytes"
PROXY_HTTP_REQUESTS = "stormlab_proxy_http_requests_total"
PROXY_FAULT_INJECTIONS = "stormlab_proxy_fault_injections_total"
PROXY_LINK_INFO = "stormlab_proxy_link_info"
# the device's configured limits, so dashboards can draw capacity lines (absent = unlimited)
PROXY_LIMIT_BYTES_PER_SECOND = "stormlab_proxy_limit_bytes_per_second"
PROXY_LIMIT_BURST_BYTES = "stormlab_proxy_limit_burst_bytes"
PROXY_LIMIT_BUFFER_BYTES = "stormlab_proxy_limit_buffer_bytes"
PROXY_LIMIT_NEW_CONNECTIONS_PER_SECOND = "stormlab_proxy_limit_new_connections_per_second"
PROXY_LIMIT_ACTIVE_CONNECTIONS = "stormlab_proxy_limit_active_connections"
PROXY_LIMIT_BACKLOG_CONNECTIONS = "stormlab_proxy_limit_backlog_connections"

# The kernel device (router/) exports the proxy's names where they mean the same, and these:
ROUTER_QUEUE_DROPS = "stormlab_router_queue_dropped_packets_total"
ROUTER_SHAPED_BYTES = "stormlab_router_shaped_bytes_total"

# services: the main-network services the internal clients depend on
SERVICE_REQUESTS = "stormlab_service_requests_total"
SERVICE_REQUEST_DURATION = "stormlab_service_request_duration_seconds"
SERVICE_IN_FLIGHT = "stormlab_service_in_flight_requests"
SERVICE_QUEUED = "stormlab_service_queued_requests"
SERVICE_BUSY_WORKERS = "stormlab_service_busy_workers"
SERVICE_QUEUE_WAIT = "stormlab_service_queue_wait_seconds"
SERVICE_WORK_DURATION = "stormlab_service_work_duration_seconds"  # the service time
SERVICE_REJECTED = "stormlab_service_rejected_requests_total"
SERVICE_BAD_REQUESTS = "stormlab_service_bad_requests_total"
SERVICE_COMPLETED_AFTER_DEADLINE = "stormlab_service_completed_after_deadline_total"
SERVICE_WASTED_WORK = "stormlab_service_wasted_work_seconds_total"
SERVICE_LIMIT_WORKERS = "stormlab_service_limit_workers"
SERVICE_LIMIT_QUEUE = "stormlab_service_limit_queue_requests"
SERVICE_LIMIT_QUEUE_DELAY = "stormlab_service_limit_queue_delay_seconds"
SERVICE_CAPACITY = "stormlab_service_capacity_requests_per_second"
SERVICE_MITIGATION_ENABLED = "stormlab_service_mitigation_enabled"
SERVICE_MEMBERSHIP_VERSION = "stormlab_service_membership_version"
SERVICE_MEMBERSHIP_ENDPOINTS = "stormlab_service_membership_endpoints"
SERVICE_KV_ITEMS = "stormlab_service_kv_items"
SERVICE_KV_BYTES = "stormlab_service_kv_stored_bytes"
SERVICE_LIMIT_KV_ITEMS = "stormlab_service_limit_kv_items"
SERVICE_INGESTED_SAMPLES = "stormlab_service_ingested_samples_total"
# label of SERVICE_MITIGATION_ENABLED: admission_control, deadline_propagation, first_attempt_priority,
# lifo, codel
MITIGATION = "mitigation"

# loadgen: the internal clients
CLIENT_REQUESTS_STARTED = "stormlab_client_requests_started_total"
CLIENT_REQUESTS = "stormlab_client_requests_total"
CLIENT_GIVE_UPS = "stormlab_client_give_ups_total"
CLIENT_ATTEMPTS = "stormlab_client_attempts_total"
CLIENT_RETRIES = "stormlab_client_retries_total"
CLIENT_REQUEST_DURATION = "stormlab_client_request_duration_seconds"
CLIENT_ATTEMPT_DURATION = "stormlab_client_attempt_duration_seconds"
CLIENT_IN_FLIGHT = "stormlab_client_in_flight_requests"
CLIENT_ACTIVE_CLIENTS = "stormlab_client_active_clients"
CLIENT_DROPPED_ARRIVALS = "stormlab_client_dropped_arrivals_total"
CLIENT_GENERATOR_WAIT = "stormlab_client_generator_wait_seconds_total"
CLIENT_POLICY_STATE = "stormlab_client_policy_state"
CLIENT_MEMBERSHIP_VERSION = "stormlab_client_membership_version"
CLIENT_RECONNECTS = "stormlab_client_reconnects_total"
STATE = "state"  # label: a policy's state number (tokens, breaker_open, ...)

# experiments: the running experiment's state, pushed by the runner to the Pushgateway
EXPERIMENT_PHASE = "stormlab_experiment_phase"
EXPERIMENT_VERDICT = "stormlab_experiment_verdict"
EXPERIMENT_GOODPUT_RATIO = "stormlab_experiment_goodput_ratio"
EXPERIMENT_ELAPSED = "stormlab_experiment_elapsed_seconds"
SCENARIO = "scenario"  # label: the scenario's name
PHASE = "phase"  # label: warmup, before, trigger, after, action, end
VERDICT = "verdict"  # label: pending, stable, recovered, metastable, failed, interrupted
