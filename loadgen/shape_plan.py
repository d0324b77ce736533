"""How many clients to run at each moment of a run: the shapes of the experiments, as pure
functions of time (loadgen/locustfile.py turns a plan into locust's LoadTestShape).

- steady: ``clients`` for ``seconds``.
- surge: ``clients``, then ``factor`` times as many from ``start_seconds`` for
  ``surge_seconds`` (the scaling activity's surge of clients), then back, until ``seconds``.
- sweep: ``steps`` of (clients, seconds), up and down, for hysteresis curves.
"""

from __future__ import annotations

from dataclasses import dataclass

from stormlab_common.config import ConfigError, validate

_CLIENTS = {"type": "integer", "minimum": 0}
_SECONDS = {"type": "number", "exclusiveMinimum": 0}
_SPAWN = {"type": "number", "exclusiveMinimum": 0, "default": 100,
          "description": "clients started (or stopped) per second on a change"}

SCHEMAS = {
    "steady": {"type": "object", "additionalProperties": False, "required": ["kind", "clients", "seconds"],
               "properties": {"kind": {"const": "steady"}, "clients": _CLIENTS, "seconds": _SECONDS,
                              "spawn_rate": _SPAWN}},
    "surge": {"type": "object", "additionalProperties": False,
              "required": ["kind", "clients", "factor", "start_seconds", "surge_seconds", "seconds"],
              "properties": {"kind": {"const": "surge"}, "clients": _CLIENTS,
                             "factor": {"type": "number", "minimum": 1}, "start_seconds": _SECONDS,
                             "surge_seconds": _SECONDS, "seconds": _SECONDS, "spawn_rate": _SPAWN}},
    "sweep": {"type": "object", "additionalProperties": False, "required": ["kind", "steps"],
              "properties": {"kind": {"const": "sweep"}, "spawn_rate": _SPAWN,
                             "steps": {"type": "array", "minItems": 1, "items": {
                                 "type": "object", "additionalProperties": False,
                                 "required": ["clients", "seconds"],
                                 "properties": {"clients": _CLIENTS, "seconds": _SECONDS}}}}},
}


@dataclass(frozen=True)
class ShapePlan:
    steps: tuple[tuple[float, int], ...]  # (until this many seconds into the run, clients)
    spawn_rate: float

    def clients_at(self, seconds: float) -> int | None:
        """Clients wanted ``seconds`` into the run; None once the plan is over."""
        for until, clients in self.steps:
            if seconds < until:
                return clients
        return None


def plan(shape: dict) -> ShapePlan:
    kind = shape.get("kind")
    if kind not in SCHEMAS:
        raise ConfigError([f"shape.kind: expected one of {', '.join(map(repr, SCHEMAS))}, got {kind!r}"])
    shape = validate(SCHEMAS[kind], shape, "shape", ("shape",))
    if kind == "steady":
        steps = [(shape["seconds"], shape["clients"])]
    elif kind == "surge":
        start, end = shape["start_seconds"], shape["start_seconds"] + shape["surge_seconds"]
        if end >= shape["seconds"]:
            raise ConfigError([f"shape: the surge must end (start_seconds + surge_seconds = {end}) before "
                               f"the run does (seconds = {shape['seconds']})"])
        steps = [(start, shape["clients"]), (end, round(shape["clients"] * shape["factor"])),
                 (shape["seconds"], shape["clients"])]
    else:
        elapsed, steps = 0.0, []
        for step in shape["steps"]:
            elapsed += step["seconds"]
            steps.append((elapsed, step["clients"]))
    return ShapePlan(tuple(steps), float(shape["spawn_rate"]))
