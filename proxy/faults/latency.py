"""Added latency with jitter, per chunk, counted from each chunk's arrival (so delays never
stack across faults or chunks), in one or both directions."""

from __future__ import annotations

from proxy.faults.base import DIRECTIONS, ChunkDelay


class LatencyFault(ChunkDelay):
    type = "latency"
    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "latency_seconds"],
        "properties": {
            "type": {"const": "latency"},
            "latency_seconds": {"type": "number", "minimum": 0, "maximum": 60},
            "jitter_seconds": {"type": "number", "minimum": 0, "maximum": 60, "default": 0,
                               "description": "each chunk gets latency +- up to this much"},
            "direction": {"enum": DIRECTIONS, "default": "downstream"},
        },
    }

    def delay_seconds(self, direction: str) -> float:
        if not self.applies_to(direction):
            return 0.0
        jitter = self.params["jitter_seconds"]
        delay = self.params["latency_seconds"] + (self.rng.uniform(-jitter, jitter) if jitter else 0.0)
        return max(0.0, delay)
