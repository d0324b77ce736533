"""A retry budget: full-jitter retries, but only while the client's budget allows them. First
tries are never refused; a refused retry ends its logical request with BUDGET_EXHAUSTED.

mode ``tokens`` (default) is the AWS SDKs' standard-mode retry quota (botocore
retries/quota.py and standard.py): 500 tokens; a retry takes 5, or 10 after a timeout; a
success gives back 1 if it was a first try, or what its request's last retry took if it came
after retries; never above the quota. Tokens are taken when the retry is about to be sent (in
``admit``, after the backoff) rather than before the backoff as botocore does, so a retry whose
deadline passes while it waits costs nothing.

mode ``ratio`` is the SRE book's per-client budget (chapter 22), with Finagle's floor: over
the last ``window_seconds``, a retry is sent only if, counting it, retries stay within
``ratio * requests + min_retries_per_second * window_seconds`` (requests = first tries).
"""

from __future__ import annotations

import copy

from loadgen.policies.base import BUDGET_EXHAUSTED, SUCCESS, TIMEOUT, Outcome
from loadgen.policies.jitter import FullJitter
from loadgen.policies.window import SlidingCounts


class TokenQuota:
    """The client-wide token count (a plain number would be copied into each request view)."""

    def __init__(self, quota: float):
        self.quota = quota
        self.tokens = quota

    def take(self, amount: float) -> bool:
        if amount > self.tokens:
            return False
        self.tokens -= amount
        return True

    def give_back(self, amount: float) -> None:
        self.tokens = min(self.quota, self.tokens + amount)


class RetryBudget(FullJitter):
    name = "retry-budget"

    def __init__(self, params, rng, clock):
        super().__init__(params, rng, clock)
        self._tokens_mode = params.mode == "tokens"
        self._quota = TokenQuota(params.quota)
        self._counts = SlidingCounts(params.window_seconds, ("requests", "retries"), clock)
        # Per request: what its next retry will cost, and what its last retry took (None:
        # no retry of this request took tokens).
        self._next_cost: float = params.retry_cost
        self._taken: float | None = None

    def for_request(self) -> RetryBudget:
        view = copy.copy(self)  # shares the quota and the window
        view._next_cost, view._taken = self.params.retry_cost, None
        return view

    def admit(self, attempt: int) -> str | None:
        if attempt == 1:
            self._taken = None
            if not self._tokens_mode:
                self._counts.add("requests")
            return None
        if self._tokens_mode:
            if not self._quota.take(self._next_cost):
                return BUDGET_EXHAUSTED
            self._taken = self._next_cost
            return None
        if self._retry_allowance() < 1:
            return BUDGET_EXHAUSTED
        self._counts.add("retries")
        return None

    def backoff(self, attempt: int, outcome: Outcome) -> float | None:
        # The next retry's price depends on why this attempt failed; it is paid in admit.
        params = self.params
        self._next_cost = params.timeout_retry_cost if outcome.kind == TIMEOUT else params.retry_cost
        return super().backoff(attempt, outcome)

    def record(self, attempt: int, outcome: Outcome) -> None:
        if self._tokens_mode and outcome.kind == SUCCESS:
            self._quota.give_back(self.params.success_refund if self._taken is None else self._taken)

    def state(self) -> dict[str, float]:
        if self._tokens_mode:
            return {"tokens": self._quota.tokens}
        return {"retry_allowance": max(0.0, self._retry_allowance())}

    def _retry_allowance(self) -> float:
        counts = self._counts.totals()
        floor = self.params.min_retries_per_second * self.params.window_seconds
        return self.params.ratio * counts["requests"] + floor - counts["retries"]
