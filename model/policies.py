"""The clients' retry policies as the model runs them: one small class per policy, registered
by name, each doing what its namesake in loadgen/policies/ does (docs/retry-policies.md), on
simulated time. Parameters are the contract's classes (stormlab_common/contracts/policies.py).

``admit(attempt, now)``: None to send attempt ``attempt`` (1 = the first try), or why not;
``record(attempt, outcome, now)``: every sent attempt's outcome;
``backoff(attempt, outcome, rng)``: seconds before the next attempt, or None to give up.
One instance serves one client; ``for_request()`` gives the view one logical request uses.
"""

from __future__ import annotations

import copy
import random
from typing import Any, ClassVar

from model.window import Window

SUCCESS, TIMEOUT, RESET, SHED = "success", "timeout", "reset", "shed"
ACCEPTED = frozenset({SUCCESS})  # adaptive throttling's accepts (the backend answered)


class Policy:
    name: ClassVar[str] = "none"

    def __init__(self, params: Any):
        self.params = params

    def for_request(self) -> Policy:
        return self

    def admit(self, attempt: int, now: float) -> str | None:
        return None

    def record(self, attempt: int, outcome: str, now: float) -> None:
        pass

    def backoff(self, attempt: int, outcome: str, rng: random.Random) -> float | None:
        return None


class NoRetries(Policy):
    name = "none"


class Naive(Policy):
    """Retry at once, forever: only the deadline ends the request."""

    name = "naive"

    def backoff(self, attempt, outcome, rng):
        return 0.0


class Fixed(Policy):
    name = "fixed"

    def backoff(self, attempt, outcome, rng):
        return None if attempt >= self.params.max_attempts else self.params.delay_seconds


class Exponential(Policy):
    """``min(cap, base * multiplier**(attempt - 1))``, as tenacity's wait_exponential."""

    name = "exponential"

    def backoff(self, attempt, outcome, rng):
        p = self.params
        if attempt >= p.max_attempts:
            return None
        return min(p.cap_seconds, p.base_seconds * p.multiplier ** (attempt - 1))


def ceiling(params: Any, attempt: int) -> float:
    return min(params.cap_seconds, params.base_seconds * 2.0 ** (attempt - 1))


class FullJitter(Policy):
    name = "full-jitter"

    def backoff(self, attempt, outcome, rng):
        if attempt >= self.params.max_attempts:
            return None
        return rng.uniform(0.0, ceiling(self.params, attempt))


class EqualJitter(Policy):
    name = "equal-jitter"

    def backoff(self, attempt, outcome, rng):
        if attempt >= self.params.max_attempts:
            return None
        half = ceiling(self.params, attempt) / 2
        return half + rng.uniform(0.0, half)


class DecorrelatedJitter(Policy):
    name = "decorrelated-jitter"

    def __init__(self, params):
        super().__init__(params)
        self.previous = params.base_seconds

    def for_request(self):
        view = copy.copy(self)
        view.previous = self.params.base_seconds
        return view

    def backoff(self, attempt, outcome, rng):
        p = self.params
        if attempt >= p.max_attempts:
            return None
        self.previous = min(p.cap_seconds, rng.uniform(p.base_seconds, 3 * self.previous))
        return self.previous


class Quota:
    """The client-wide token count of the AWS SDKs' standard retry mode."""

    def __init__(self, quota: float):
        self.quota, self.tokens = quota, quota


class RetryBudget(FullJitter):
    """Full-jitter retries while the budget lasts: tokens (AWS SDK) or a ratio (SRE book)."""

    name = "retry-budget"

    def __init__(self, params):
        super().__init__(params)
        self.quota = Quota(params.quota)
        self.window = Window(params.window_seconds, 2)  # first tries, retries
        self.next_cost, self.taken = params.retry_cost, None

    def for_request(self):
        view = copy.copy(self)  # shares the quota and the window
        view.next_cost, view.taken = self.params.retry_cost, None
        return view

    def admit(self, attempt, now):
        p = self.params
        if attempt == 1:
            if p.mode == "ratio":
                self.window.add(now, 0)
            return None
        if p.mode == "tokens":
            if self.next_cost > self.quota.tokens:
                return "budget_exhausted"
            self.quota.tokens -= self.next_cost
            self.taken = self.next_cost
            return None
        first, retries = self.window.counts(now)
        if p.ratio * first + p.min_retries_per_second * p.window_seconds - retries < 1:
            return "budget_exhausted"
        self.window.add(now, 1)
        return None

    def backoff(self, attempt, outcome, rng):
        p = self.params
        self.next_cost = p.timeout_retry_cost if outcome == TIMEOUT else p.retry_cost
        return super().backoff(attempt, outcome, rng)

    def record(self, attempt, outcome, now):
        if self.params.mode == "tokens" and outcome == SUCCESS:
            refund = self.params.success_refund if self.taken is None else self.taken
            self.quota.tokens = min(self.quota.quota, self.quota.tokens + refund)


class Breaker:
    """The client-wide closed / open / half-open machine."""

    def __init__(self, params: Any):
        self.params = params
        self.window = Window(params.window_seconds, 2)  # outcomes, failures
        self.state, self.period, self.entered, self.probes = "closed", 0, 0.0, 0

    def current(self, now: float) -> str:
        if self.state != "closed" and now - self.entered >= self.params.open_seconds:
            self.enter("half_open", now)
        return self.state

    def enter(self, state: str, now: float) -> None:
        self.state, self.period, self.entered, self.probes = state, self.period + 1, now, 0
        if state == "closed":
            self.window.clear()


class CircuitBreaker(FullJitter):
    name = "circuit-breaker"

    def __init__(self, params):
        super().__init__(params)
        self.breaker = Breaker(params)
        self.period, self.probe = None, False

    def for_request(self):
        view = copy.copy(self)  # shares the breaker
        view.period, view.probe = None, False
        return view

    def admit(self, attempt, now):
        breaker = self.breaker
        state = breaker.current(now)
        if state == "open" or (state == "half_open" and breaker.probes >= self.params.half_open_probes):
            return "breaker_open"
        if state == "half_open":
            breaker.probes += 1
        self.period, self.probe = breaker.period, state == "half_open"
        return None

    def record(self, attempt, outcome, now):
        breaker = self.breaker
        if self.period != breaker.period:
            return  # sent under an earlier state
        failed = outcome != SUCCESS
        if self.probe:
            breaker.enter("open" if failed else "closed", now)
            return
        breaker.window.add(now, 0)
        if failed:
            breaker.window.add(now, 1)
        outcomes, failures = breaker.window.counts(now)
        if outcomes >= self.params.min_requests and failures / outcomes >= self.params.failure_ratio:
            breaker.enter("open", now)


class Adaptive(FullJitter):
    """SRE adaptive throttling: reject locally with max(0, (requests - K accepts) / (requests + 1))."""

    name = "adaptive"

    def __init__(self, params, rng: random.Random | None = None):
        super().__init__(params)
        self.window = Window(params.window_seconds, 2)  # requests, accepts
        self.rng = rng or random.Random(0)

    def admit(self, attempt, now):
        requests, accepts = self.window.counts(now)
        probability = max(0.0, (requests - self.params.k * accepts) / (requests + 1))
        self.window.add(now, 0)
        if probability > 0 and self.rng.random() < probability:
            return "throttled_locally"
        return None

    def record(self, attempt, outcome, now):
        if outcome in ACCEPTED:
            self.window.add(now, 1)


POLICIES: dict[str, type[Policy]] = {
    cls.name: cls for cls in (NoRetries, Naive, Fixed, Exponential, FullJitter, EqualJitter,
                              DecorrelatedJitter, RetryBudget, CircuitBreaker, Adaptive)
}


def make_policy(params: Any, rng: random.Random) -> Policy:
    """The policy ``params`` (a contract parameter class) names, for one client."""
    cls = POLICIES[params.name]
    return cls(params, rng) if cls is Adaptive else cls(params)
