"""The load generator's settings: one schema, one loader (file < STORMLAB_LOADGEN_* < --set).

A population of internal clients: each new client takes a **profile** by weight (its retry
policy and timeouts); each generates logical requests on its own schedule (**arrivals**),
each request a **call** from the **workload** mix, sent to a **target** (a proxy link).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from loadgen.policies import make_policy
from loadgen.shape_plan import plan
from stormlab_common.config import NAME_SCHEMA, ConfigError, load_config

ENV_PREFIX = "STORMLAB_LOADGEN_"

_POSITIVE = {"type": "number", "exclusiveMinimum": 0}

TARGET_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["url"],
    "properties": {"url": {"type": "string", "pattern": r"^http://[^/\s:]+(:[0-9]{1,5})?$",
                           "description": "http://host:port of the proxy link to the service"}},
}

CALL_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["target", "path"],
    "properties": {
        "target": NAME_SCHEMA,
        "method": {"enum": ["GET", "POST", "PUT", "DELETE"], "default": "GET"},
        "path": {"type": "string", "pattern": "^/",
                 "description": "a path starting with /; {n} (or {n:05d}, ...) becomes a number "
                                "in [0, keys)"},
        "keys": {"type": "integer", "minimum": 1, "default": 1000},
        "weight": {**_POSITIVE, "default": 1},
        "body_bytes": {"type": "integer", "minimum": 0, "maximum": 1048576, "default": 0,
                       "description": "send this many bytes as the body"},
        "body_json": {"type": ["object", "null"], "default": None,
                      "description": "send this JSON as the body"},
    },
}

PROFILE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["policy"],
    "properties": {
        "weight": {**_POSITIVE, "default": 1, "description": "share of new clients taking this profile"},
        "policy": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}},
                   "description": "a retry policy: {name: ..., <its parameters>} (docs/retry-policies.md)"},
        "attempt_timeout_seconds": {**_POSITIVE, "default": 1.0},
        "deadline_seconds": {**_POSITIVE, "default": 5.0,
                             "description": "the logical request's overall deadline, sent as X-Deadline-Ms"},
        "connect_timeout_seconds": {**_POSITIVE, "default": 1.0},
        "reuse_connections": {"type": ["boolean", "null"], "default": None,
                              "description": "keep-alive pool (true) or a connection per attempt; "
                                             "null: the policy's default (naive: false, else true)"},
        "respect_retry_after": {"type": ["boolean", "null"], "default": None,
                                "description": "wait at least Retry-After; null: the policy's default"},
    },
}

SHAPE_SCHEMA = {
    "type": ["object", "null"], "default": None, "required": ["kind"],
    "description": "a load shape run from start (see loadgen/shapes.py); null: the UI or API sets users",
    "properties": {"kind": {"enum": ["steady", "surge", "sweep"]}},
}

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "seed": {"type": ["integer", "null"], "default": None,
                 "description": "same seed (and worker count): same clients, same arrival schedules"},
        "metrics_port": {"type": "integer", "minimum": 0, "maximum": 65535, "default": 9646},
        "max_run_seconds": {**_POSITIVE, "default": 900,
                            "description": "a run stops by itself after this long, whatever started it"},
        "max_in_flight_per_client": {"type": "integer", "minimum": 1, "default": 200,
                                     "description": "logical requests a client runs at once; arrivals "
                                                    "beyond it are dropped and counted"},
        "fetch_on_start": {"type": "boolean", "default": False,
                           "description": "a client sends one request to every target the moment it "
                                          "starts, as a booting instance fetches its config: clients "
                                          "started together make a synchronized first wave (the "
                                          "scaling trigger's surge sets it)"},
        "max_attempts_per_second": {**_POSITIVE, "default": 3000,
                                    "description": "attempts this process may send per second: a cap "
                                                   "that keeps the generator, not the device, from "
                                                   "being the bottleneck unnoticed (waits are counted)"},
        "arrivals": {
            "type": "object", "additionalProperties": False, "default": {},
            "properties": {"process": {"enum": ["poisson", "periodic"], "default": "poisson"},
                           "requests_per_second": {**_POSITIVE, "default": 1.0,
                                                   "description": "logical requests per client per second"}},
        },
        "targets": {"type": "object", "minProperties": 1, "propertyNames": NAME_SCHEMA,
                    "additionalProperties": TARGET_SCHEMA,
                    "default": {"api": {"url": "http://proxy:8081"}}},
        "workload": {"type": "object", "minProperties": 1, "propertyNames": NAME_SCHEMA,
                     "additionalProperties": CALL_SCHEMA,
                     "default": {"work": {"target": "api", "path": "/v1/work"}}},
        "clients": {"type": "object", "minProperties": 1, "propertyNames": NAME_SCHEMA,
                    "additionalProperties": PROFILE_SCHEMA,
                    "default": {"default": {"policy": {"name": "none"}}}},
        "membership": {
            "type": ["object", "null"], "default": None, "additionalProperties": False,
            "required": ["service"],
            "description": "watch a service's membership through dns; reconnect when it changes",
            "properties": {"target": {**NAME_SCHEMA, "default": "dns"}, "service": NAME_SCHEMA,
                           "poll_seconds": {**_POSITIVE, "default": 2.0}},
        },
        "shape": SHAPE_SCHEMA,
    },
}


@dataclass(frozen=True)
class Call:
    name: str
    target: str
    method: str
    path: str
    keys: int
    weight: float
    body_bytes: int
    body_json: dict | None


@dataclass(frozen=True)
class Profile:
    name: str
    weight: float
    policy_name: str
    policy_params: dict[str, Any]
    attempt_timeout_seconds: float
    deadline_seconds: float
    connect_timeout_seconds: float
    reuse_connections: bool | None
    respect_retry_after: bool | None


@dataclass(frozen=True)
class LoadgenConfig:
    seed: int | None
    metrics_port: int
    max_run_seconds: float
    max_in_flight_per_client: int
    max_attempts_per_second: float
    fetch_on_start: bool
    arrival_process: str
    requests_per_second: float
    targets: dict[str, str]
    workload: tuple[Call, ...]
    profiles: tuple[Profile, ...]
    membership: dict | None
    shape: dict | None


def load_loadgen_config(file=None, env=None, overrides=None) -> LoadgenConfig:
    return build_config(load_raw_config(file, env, overrides))


def load_raw_config(file=None, env=None, overrides=None) -> dict:
    """The layers merged and schema-valid, every default filled in: the base a live patch
    applies to (loadgen/live_config.py)."""
    return load_config(SCHEMA, env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides)


def build_config(raw: dict) -> LoadgenConfig:
    """The typed config from a schema-valid dict, checking what the schema cannot."""
    targets = {name: target["url"] for name, target in raw["targets"].items()}
    problems = []
    for name, call in raw["workload"].items():
        if call["target"] not in targets:
            problems.append(f"workload.{name}.target: unknown target {call['target']!r}; "
                            f"targets: {', '.join(sorted(targets))}")
        if call["body_bytes"] and call["body_json"] is not None:
            problems.append(f"workload.{name}: give body_bytes or body_json, not both")
    membership = raw["membership"]
    if membership is not None and membership["target"] not in targets:
        problems.append(f"membership.target: unknown target {membership['target']!r}; "
                        f"targets: {', '.join(sorted(targets))}")
    if raw["shape"] is not None:
        try:
            plan(raw["shape"])
        except ConfigError as exc:
            problems += exc.problems
    for name, profile in raw["clients"].items():  # each policy checks its own parameters
        policy = dict(profile["policy"])
        try:
            make_policy(policy.pop("name"), policy, random.Random(0), lambda: 0.0,
                        ("clients", name, "policy"))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    workload = tuple(Call(name, c["target"], c["method"], c["path"], c["keys"], float(c["weight"]),
                          c["body_bytes"], c["body_json"]) for name, c in sorted(raw["workload"].items()))
    profiles = tuple(
        Profile(name, float(p["weight"]), p["policy"]["name"],
                {k: v for k, v in p["policy"].items() if k != "name"},
                float(p["attempt_timeout_seconds"]), float(p["deadline_seconds"]),
                float(p["connect_timeout_seconds"]), p["reuse_connections"], p["respect_retry_after"])
        for name, p in sorted(raw["clients"].items()))
    return LoadgenConfig(
        seed=raw["seed"], metrics_port=raw["metrics_port"], max_run_seconds=float(raw["max_run_seconds"]),
        max_in_flight_per_client=raw["max_in_flight_per_client"],
        max_attempts_per_second=float(raw["max_attempts_per_second"]),
        fetch_on_start=raw["fetch_on_start"],
        arrival_process=raw["arrivals"]["process"],
        requests_per_second=float(raw["arrivals"]["requests_per_second"]),
        targets=targets, workload=workload, profiles=profiles, membership=membership, shape=raw["shape"])
