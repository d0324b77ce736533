"""The retry policies' parameters, as a client profile's ``policy`` names them:
``{name: <policy>, <its parameters>}``, one dataclass per policy, told apart by ``name``.

What each policy does with them is loadgen/policies/ (one class per name; a unit test checks
that both name the same policies); docs/retry-policies.md has their tables, generated from
these classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from stormlab_common.config import ConfigError, validation_problems
from stormlab_common.fields import unwrap, variants
from stormlab_common.model import Meta, Tagged, build, schema_of

MaxAttempts = Annotated[int, Meta(ge=1, le=100,
                                  description="attempts per logical request, the first try included")]
Delay = Annotated[float, Meta(gt=0, le=3600,
                              description="the first retry's delay ceiling; it doubles per retry")]
Cap = Annotated[float, Meta(gt=0, le=3600, description="no delay is longer than this")]


@dataclass(frozen=True)
class NoRetriesParams:
    """One attempt per logical request."""

    name: Literal["none"] = "none"


@dataclass(frozen=True)
class NaiveParams:
    """Immediate retries with no attempt cap, each on a new connection, ignoring Retry-After."""

    name: Literal["naive"] = "naive"
    # what it implies for the profile's settings left null (the real event's latent bug)
    CLIENT_DEFAULTS: ClassVar[dict[str, Any]] = {"reuse_connections": False, "respect_retry_after": False}


@dataclass(frozen=True)
class FixedParams:
    """Up to max_attempts attempts, delay_seconds apart."""

    name: Literal["fixed"] = "fixed"
    max_attempts: MaxAttempts = 3
    delay_seconds: Annotated[float, Meta(ge=0, le=3600, description="the wait before every retry")] = 1.0


@dataclass(frozen=True)
class ExponentialParams:
    """Capped exponential backoff without jitter."""

    name: Literal["exponential"] = "exponential"
    max_attempts: MaxAttempts = 3
    base_seconds: Annotated[float, Meta(gt=0, le=3600, description="the first retry's delay")] = 0.1
    multiplier: Annotated[float, Meta(ge=1, le=10, description="each retry waits this many times longer "
                                                                "than the one before")] = 2.0
    cap_seconds: Cap = 10.0


@dataclass(frozen=True)
class FullJitterParams:
    """Brooker's full jitter: U(0, min(cap, base * 2**n))."""

    name: Literal["full-jitter"] = "full-jitter"
    max_attempts: MaxAttempts = 3
    base_seconds: Delay = 0.1
    cap_seconds: Cap = 10.0


@dataclass(frozen=True)
class EqualJitterParams:
    """Brooker's equal jitter: t/2 + U(0, t/2), t = min(cap, base * 2**n)."""

    name: Literal["equal-jitter"] = "equal-jitter"
    max_attempts: MaxAttempts = 3
    base_seconds: Delay = 0.1
    cap_seconds: Cap = 10.0


@dataclass(frozen=True)
class DecorrelatedJitterParams:
    """Brooker's decorrelated jitter: min(cap, U(base, 3 * previous))."""

    name: Literal["decorrelated-jitter"] = "decorrelated-jitter"
    max_attempts: MaxAttempts = 3
    base_seconds: Annotated[float, Meta(gt=0, le=3600, description="the least delay; the first retry's "
                                                                    "is drawn from [base, 3 x base]")] = 0.1
    cap_seconds: Cap = 10.0


def _described(text: str, **limits: float) -> Meta:
    return Meta(description=text, **limits)


@dataclass(frozen=True)
class RetryBudgetParams:
    """Full-jitter retries while the client's budget allows them (AWS SDK tokens or SRE ratio)."""

    name: Literal["retry-budget"] = "retry-budget"
    mode: Annotated[Literal["tokens", "ratio"], _described(
        "tokens: the AWS SDK standard quota; ratio: the SRE book's ratio")] = "tokens"
    quota: Annotated[float, _described("tokens mode: the most tokens the client holds (it starts full)",
                                       gt=0, le=1e9)] = 500.0
    retry_cost: Annotated[float, _described("tokens mode: tokens a retry takes", ge=0, le=1e9)] = 5.0
    timeout_retry_cost: Annotated[float, _described("tokens mode: tokens a retry after a timeout takes",
                                                    ge=0, le=1e9)] = 10.0
    success_refund: Annotated[float, _described("tokens mode: tokens a first-try success gives back",
                                                ge=0, le=1e9)] = 1.0
    ratio: Annotated[float, _described("ratio mode: retries allowed per first try, over the window "
                                       "(Finagle, Envoy: 0.2)",
                                       ge=0, le=10)] = 0.1
    window_seconds: Annotated[float, _described("ratio mode: the sliding window of the counts "
                                                "(Finagle: 10 s)", gt=0, le=3600)] = 10.0
    min_retries_per_second: Annotated[float, _described("ratio mode: retries/s allowed on top (Finagle: 10)",
                                                        ge=0, le=1e6)] = 0.0
    max_attempts: MaxAttempts = 3
    base_seconds: Delay = 1.0  # the AWS SDKs' standard-mode backoff
    cap_seconds: Cap = 20.0


@dataclass(frozen=True)
class CircuitBreakerParams:
    """Full-jitter retries behind a closed/open/half-open breaker."""

    name: Literal["circuit-breaker"] = "circuit-breaker"
    failure_ratio: Annotated[float, _described("the share of retryable failures that opens the breaker",
                                               gt=0, le=1)] = 0.5
    window_seconds: Annotated[float, _described("the sliding window outcomes are counted over while closed",
                                                gt=0, le=3600)] = 10.0
    min_requests: Annotated[int, _described("outcomes the window must hold before it can open", ge=1)] = 20
    open_seconds: Annotated[float, _described("how long an open breaker refuses every attempt",
                                              gt=0, le=3600)] = 5.0
    half_open_probes: Annotated[int, _described("attempts let through when half-open", ge=1)] = 1
    max_attempts: MaxAttempts = 3
    base_seconds: Delay = 0.1
    cap_seconds: Cap = 10.0


@dataclass(frozen=True)
class AdaptiveParams:
    """Client-side adaptive throttling (SRE book, ch. 21) in front of full-jitter retries."""

    name: Literal["adaptive"] = "adaptive"
    k: Annotated[float, _described("requests allowed per accept before local rejection starts (the book's K)",
                                   ge=1, le=100)] = 2.0
    window_seconds: Annotated[float, _described("the sliding window requests and accepts are counted over "
                                                "(the book: 2 minutes)",
                                                gt=0, le=3600)] = 120.0
    max_attempts: MaxAttempts = 3
    base_seconds: Delay = 0.1
    cap_seconds: Cap = 10.0


PolicyParams = Annotated[
    NoRetriesParams | NaiveParams | FixedParams | ExponentialParams | FullJitterParams | EqualJitterParams
    | DecorrelatedJitterParams | RetryBudgetParams | CircuitBreakerParams | AdaptiveParams,
    Tagged("name"),
]

# every policy's parameter class, by name, in the order the error messages list them
POLICY_PARAMS: dict[str, type] = variants(unwrap(PolicyParams)[0], "name")


@dataclass(frozen=True)
class _Choice:
    policy: PolicyParams


POLICY_SCHEMA = schema_of(_Choice)["properties"]["policy"]  # the tagged union: oneOf + discriminator


def policy_problems(data: Any, prefix: tuple = ("policy",)) -> list[str]:
    """What is wrong with ``{name: ..., <parameters>}``, each ``<prefix>.<key>: ...``."""
    return validation_problems(POLICY_SCHEMA, data, tuple(prefix))


def parse_policy(data: Any, prefix: tuple = ("policy",)) -> Any:
    """The parameters of the policy ``data`` names, defaults filled in; ConfigError naming every
    problem (``policy.max_attempts: expected a number >= 1, got 0``)."""
    problems = policy_problems(data, prefix)
    if problems:
        raise ConfigError(problems)
    return build(POLICY_PARAMS[data["name"]], data)


def client_default(params: Any, setting: str) -> Any:
    """What the policy implies for a profile setting left null (None: nothing in particular)."""
    return getattr(type(params), "CLIENT_DEFAULTS", {}).get(setting)
