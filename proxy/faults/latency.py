"""Added latency with jitter, per chunk, counted from each chunk's arrival (so delays never
stack across faults or chunks), in one or both directions."""

from __future__ import annotations

from proxy.faults.base import ChunkDelay
from stormlab_common.contracts.proxy_faults import LatencyParams


class LatencyFault(ChunkDelay):
    Params = LatencyParams
    params: LatencyParams

    def delay_seconds(self, direction: str) -> float:
        if not self.applies_to(direction):
            return 0.0
        jitter = self.params.jitter_seconds
        delay = self.params.latency_seconds + (self.rng.uniform(-jitter, jitter) if jitter else 0.0)
        return max(0.0, delay)
