"""Client-side adaptive throttling (Google SRE book, chapter 21, "Handling Overload"), in front
of full-jitter retries.

Over the last ``window_seconds`` (the book: two minutes) the client counts
- requests: attempts the application asked to send, first tries and retries, including those
  this throttle then rejected locally;
- accepts: attempts the backend accepted, i.e. answered other than by shedding them. Here:
  SUCCESS, CLIENT_ERROR and SERVER_ERROR (the backend took the request and did work on it).
  SHED (429/503), TIMEOUT, CONNECT_ERROR and RESET are not accepts: an overloaded path
  (device or service) turned the attempt away or never answered it.

and rejects each new attempt locally (THROTTLED_LOCALLY) with probability
``max(0, (requests - K * accepts) / (requests + 1))``, computed before the new attempt is
counted (so a client with an empty window never rejects). With K = 2 the client sends about
twice what the backend accepts: enough to notice recovery, far less than a retry storm.
"""

from __future__ import annotations

from loadgen.policies.base import CLIENT_ERROR, SERVER_ERROR, SUCCESS, THROTTLED_LOCALLY, Outcome
from loadgen.policies.jitter import FullJitter
from loadgen.policies.window import SlidingCounts

ACCEPTED = frozenset({SUCCESS, CLIENT_ERROR, SERVER_ERROR})


class AdaptiveThrottling(FullJitter):
    name = "adaptive"

    def __init__(self, params, rng, clock):
        super().__init__(params, rng, clock)
        self._counts = SlidingCounts(params.window_seconds, ("requests", "accepts"), clock)

    def admit(self, attempt: int) -> str | None:
        probability = self.reject_probability()
        self._counts.add("requests")
        # Draw only when rejection is possible, so a healthy client's rng stream (its jitter)
        # is the same as without the throttle.
        if probability > 0 and self.rng.random() < probability:
            return THROTTLED_LOCALLY
        return None

    def record(self, attempt: int, outcome: Outcome) -> None:
        if outcome.kind in ACCEPTED:
            self._counts.add("accepts")

    def reject_probability(self) -> float:
        counts = self._counts.totals()
        requests = counts["requests"]
        return max(0.0, (requests - self.params.k * counts["accepts"]) / (requests + 1))

    def state(self) -> dict[str, float]:
        return {"reject_probability": self.reject_probability()}
