"""Clients and retries, per retry policy: what each policy sent for what it got.

The story per policy: requests started, attempts sent, requests that succeeded; how many
attempts a request cost; how requests and attempts ended; and the state that bounds a
policy's retries (tokens, breaker, reject probability).
"""

from __future__ import annotations

from grafana.model import BAD, DEMAND, GOOD, LOAD, RATE, Dashboard, Panel, Row, Series, Variable
from stormlab_common import metric_names as m

POLICY = '{policy=~"$policy"}'
SUCCESS = '{policy=~"$policy",outcome="success"}'
NOT_SUCCESS = '{policy=~"$policy",outcome!="success"}'


def rate_by(by: str, metric: str, matchers: str = POLICY) -> str:
    return f"sum by ({by}) (rate({metric}{matchers}[{RATE}]))"


def quantiles(histogram: str) -> tuple[Series, ...]:
    return tuple(
        Series(
            f"histogram_quantile({q}, sum by (le, policy) (rate({histogram}_bucket{POLICY}[{RATE}])))",
            f"p{round(q * 100)} {{{{policy}}}}",
        )
        for q in (0.5, 0.99)
    )


def load_and_retries() -> tuple[Panel, ...]:
    return (
        Panel(
            "Started, sent, succeeded: $policy",
            "What one retry policy asked for, sent and got: requests started (demand), attempts"
            " sent (first tries and retries) and requests that succeeded (goodput). The gap between"
            " orange and green is work the device carried for nothing.",
            (
                Series(f"sum(rate({m.CLIENT_REQUESTS_STARTED}{POLICY}[{RATE}]))", "requests started", DEMAND),
                Series(f"sum(rate({m.CLIENT_ATTEMPTS}{POLICY}[{RATE}]))", "attempts sent", LOAD),
                Series(
                    f"sum(rate({m.CLIENT_REQUESTS}{SUCCESS}[{RATE}]))",
                    "requests succeeded",
                    GOOD,
                ),
            ),
            unit="reqps",
            width=24,
            min=0,
            repeat="policy",  # one panel per chosen policy, side by side
        ),
        Panel(
            "Retry amplification by policy",
            "Attempts per request started. 1 is no retries; in a storm a naive policy reaches its"
            " deadline over its attempt timeout (5 in retry-storm), a budgeted one stays near 1.",
            (
                Series(
                    rate_by("policy", m.CLIENT_ATTEMPTS)
                    + " / "
                    + rate_by("policy", m.CLIENT_REQUESTS_STARTED),
                    "{{policy}}",
                    LOAD,
                ),
            ),
            unit="short",
            min=0,
            decimals=1,
            axis_label="attempts per request",
        ),
        Panel(
            "Success rate by policy",
            "Share of finished requests that succeeded within their deadline, per policy.",
            (
                Series(
                    rate_by("policy", m.CLIENT_REQUESTS, SUCCESS)
                    + " / "
                    + rate_by("policy", m.CLIENT_REQUESTS),
                    "{{policy}}",
                    GOOD,
                ),
            ),
            unit="percentunit",
            min=0,
            max=1,
        ),
    )


def outcomes() -> tuple[Panel, ...]:
    return (
        Panel(
            "Attempt outcomes",
            "How each attempt ended: success, or timeout, connect error, reset, server error, shed"
            " (429/503), client error. In a storm almost every attempt times out.",
            (
                Series(
                    rate_by("policy", m.CLIENT_ATTEMPTS, SUCCESS),
                    "{{policy}} success",
                    GOOD,
                ),
                Series(
                    rate_by("policy, outcome", m.CLIENT_ATTEMPTS, NOT_SUCCESS),
                    "{{policy}} {{outcome}}",
                    BAD,
                ),
            ),
            unit="suffix:attempts/s",
            min=0,
        ),
        Panel(
            "Give-ups by reason",
            "Requests the clients gave up on: attempts exhausted, deadline exceeded, not retryable,"
            " retry budget exhausted, breaker open, throttled locally.",
            (Series(rate_by("policy, reason", m.CLIENT_GIVE_UPS), "{{policy}} {{reason}}", BAD),),
            unit="reqps",
            min=0,
        ),
        Panel(
            "Request latency (retries and back-offs included)",
            "How long a logical request took from start to success or give-up (50th and 99th"
            " percentile), per policy.",
            quantiles(m.CLIENT_REQUEST_DURATION),
            unit="s",
            min=0,
        ),
        Panel(
            "Attempt latency",
            "How long one attempt took as the client saw it (50th and 99th percentile); capped by"
            " the attempt timeout.",
            quantiles(m.CLIENT_ATTEMPT_DURATION),
            unit="s",
            min=0,
        ),
    )


def client_state() -> tuple[Panel, ...]:
    return (
        Panel(
            "Requests in flight",
            "Logical requests under way: an open loop keeps starting requests while earlier ones"
            " wait, so they pile up when the device is slow.",
            (Series(f"sum by (policy) ({m.CLIENT_IN_FLIGHT}{POLICY})", "{{policy}}", LOAD),),
            unit="short",
            width=8,
            min=0,
        ),
        Panel(
            "Active clients",
            "Simulated clients running, per policy: the surge multiplies them for a few seconds.",
            (Series(f"sum by (policy) ({m.CLIENT_ACTIVE_CLIENTS}{POLICY})", "{{policy}}", DEMAND),),
            unit="short",
            width=8,
            min=0,
        ),
        Panel(
            "Retry policy state",
            "The numbers that bound a policy's retries, summed over its clients: retry-budget"
            " tokens, open circuit breakers, the adaptive policy's reject probability.",
            (Series(f"sum by (policy, state) ({m.CLIENT_POLICY_STATE}{POLICY})", "{{policy}} {{state}}"),),
            unit="short",
            width=8,
            min=0,
        ),
        Panel(
            "Arrivals dropped",
            "Arrivals not started because the client already had its maximum of requests in flight.",
            (Series(rate_by("policy", m.CLIENT_DROPPED_ARRIVALS), "{{policy}}", BAD),),
            unit="reqps",
            width=8,
            min=0,
        ),
        Panel(
            "Generator wait",
            "Did the load generator, not the device, hold attempts back? Attempts waiting on average"
            " for the worker process's own attempt cap. Above 0 the figures understate the load.",
            (Series(f"sum(rate({m.CLIENT_GENERATOR_WAIT}[{RATE}]))", "attempts waiting", BAD),),
            unit="short",
            width=8,
            min=0,
            axis_label="attempts waiting",
        ),
        Panel(
            "Membership changes and reconnects",
            "The scaling trigger's first wave: clients that dropped their connections and reconnected"
            " when the watched service's membership changed.",
            (Series(rate_by("policy", m.CLIENT_RECONNECTS), "{{policy}} reconnects", LOAD),),
            unit="suffix:clients/s",
            width=8,
            min=0,
        ),
        Panel(
            "Membership version the clients saw",
            "The newest membership version of the watched service the clients saw: a step is the"
            " scaling trigger announcing new replicas.",
            (Series(f"max by (target) ({m.CLIENT_MEMBERSHIP_VERSION})", "{{target}}"),),
            unit="short",
            width=24,
            height=5,
            decimals=0,
        ),
    )


def dashboard() -> Dashboard:
    return Dashboard(
        uid="stormlab-clients",
        title="Clients & retries",
        description="The internal clients per retry policy: demand, attempts, goodput, retry"
        " amplification, outcomes, latency and the policies' own state.",
        items=(
            Row("Load and retries"),
            *load_and_retries(),
            Row("How requests and attempts end"),
            *outcomes(),
            Row("Client state"),
            *client_state(),
        ),
        variables=(Variable("policy", "Retry policy", m.CLIENT_REQUESTS_STARTED),),
    )
