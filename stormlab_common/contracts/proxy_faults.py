"""The faults a proxy link may carry, as the proxy accepts them: each type's parameters, and
the union of them told apart by ``type``. What each fault does lives in proxy/faults/.

A fault either acts on connections (and works on any link) or on single HTTP requests, which
only a link with ``protocol: http`` can tell apart (``acts_on_requests``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from stormlab_common.model import Meta, Tagged

Direction = Literal["upstream", "downstream", "both"]
Probability = Annotated[float, Meta(ge=0, le=1)]

# The statuses an http_error fault may answer with, and their reason phrases.
HTTP_ERROR_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
                      503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass(frozen=True)
class LatencyParams:
    """Added latency with jitter, per chunk, counted from each chunk's arrival (delays never
    stack across faults or chunks), in one or both directions."""

    type: Literal["latency"]
    latency_seconds: Annotated[float, Meta(ge=0, le=60, description="added to every chunk")]
    jitter_seconds: Annotated[float, Meta(ge=0, le=60, description="each chunk gets latency +- up to "
                                                                   "this much")] = 0.0
    direction: Direction = "downstream"

    @property
    def acts_on_requests(self) -> bool:
        return False


@dataclass(frozen=True)
class ResetParams:
    """Reset (RST) connections with a probability: new ones as they arrive, or, on links with
    protocol http, a connection at one of its requests (pooled keep-alive clients feel it too)."""

    type: Literal["reset"]
    probability: Annotated[Probability, Meta(description="chance that a connection (or request) is reset")]
    on: Annotated[Literal["connect", "request"], Meta(
        description="reset new connections, or connections at a request (http links)")] = "connect"

    @property
    def acts_on_requests(self) -> bool:
        return self.on == "request"


@dataclass(frozen=True)
class HttpErrorParams:
    """Answer a fraction of HTTP requests with an error and a Retry-After header instead of
    forwarding them, as an overloaded service or gateway would (http links only)."""

    type: Literal["http_error"]
    probability: Annotated[Probability, Meta(description="fraction of requests answered with the error")]
    status: Literal[429, 500, 502, 503, 504] = 503
    retry_after_seconds: Annotated[int | None, Meta(ge=0, le=86400,
                                                    description="Retry-After value; null sends none")] = 1

    @property
    def acts_on_requests(self) -> bool:
        return True


FaultParams = Annotated[LatencyParams | ResetParams | HttpErrorParams, Tagged("type")]
