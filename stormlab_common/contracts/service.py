"""What a main-network service (services/) accepts: its settings, the live changes to them
(PATCH /admin/config) and the JSON bodies of its endpoints, each one dataclass of the
stormlab_common/model.py pattern. The service parses with exactly these; the experiment
runner checks a scenario's settings and changes offline with the same functions.
"""

from __future__ import annotations

import copy
import math
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal

from stormlab_common.config import ConfigError, dotted, merge_patch, validation_problems
from stormlab_common.model import (
    Meta,
    Name,
    build,
    check_problems,
    dump,
    patch_schema_of,
    problems_of,
    schema_of,
)
from stormlab_common.model import patched as _patched

Role = Literal["control-plane", "dns", "kv", "monitoring-ingest"]
ROLES = typing.get_args(Role)
# The sections that may change while the service runs; the rest need a restart.
LIVE_SECTIONS = ("capacity", "work", "queue", "mitigations")
# The standard normal's 99th percentile: a lognormal's p99 is exp(mu + Z99 * sigma).
Z99 = 2.3263478740408408
# A lognormal with a given mean cannot have a p99 above mean * exp(Z99**2 / 2) (~15x).
MAX_LOGNORMAL_P99_RATIO = math.exp(Z99 * Z99 / 2)
DEFAULT_P99_RATIO = 3.0
MAX_BYTES = 67108864  # 64 MiB: the largest response or value size a setting may ask for


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(value)


@dataclass(frozen=True)
class Capacity:
    """W workers and a bounded queue in front of them."""

    workers: Annotated[int, Meta(ge=1, le=100000, description="requests served at once")] = 8
    queue_limit: Annotated[int, Meta(ge=0, le=1000000, description="requests that may wait")] = 256


@dataclass(frozen=True)
class Work:
    """How long each request's work takes (a sleep) and how much it answers."""

    service_time_seconds: Annotated[float, Meta(ge=0, le=60, description="the mean service time")] = 0.01
    distribution: Literal["exponential", "fixed", "lognormal"] = "fixed"
    p99_seconds: Annotated[float | None, Meta(gt=0, le=3600, description=(
        "the lognormal's 99th percentile; null: 3 times the mean"))] = None
    response_bytes: Annotated[int, Meta(ge=0, le=MAX_BYTES)] = 1024

    @property
    def p99_in_force_seconds(self) -> float:
        return DEFAULT_P99_RATIO * self.service_time_seconds if self.p99_seconds is None else self.p99_seconds

    def check(self) -> list[tuple[tuple, str]]:
        if self.distribution != "lognormal":
            return []
        mean, p99 = self.service_time_seconds, self.p99_in_force_seconds
        if not mean > 0:
            return [(("service_time_seconds",), f"a lognormal needs a positive mean, got {_number(mean)}")]
        if not mean < p99 <= mean * MAX_LOGNORMAL_P99_RATIO:
            return [(("p99_seconds",), f"expected a number above the mean ({_number(mean)}) and at most "
                     f"{MAX_LOGNORMAL_P99_RATIO:.1f} times it for a lognormal, got {_number(p99)}")]
        return []


@dataclass(frozen=True)
class Queue:
    """The order in which waiting requests reach a worker."""

    discipline: Literal["fifo", "lifo", "codel"] = "fifo"
    codel_target_seconds: Annotated[float, Meta(gt=0, le=60)] = 0.005
    codel_interval_seconds: Annotated[float, Meta(gt=0, le=60)] = 0.1


@dataclass(frozen=True)
class AdmissionControl:
    """Refuse at once (503) a request whose expected queueing delay exceeds the bound."""

    enabled: bool = False
    max_queue_delay_seconds: Annotated[float, Meta(gt=0, le=3600)] = 0.25
    retry_after_seconds: Annotated[int, Meta(ge=0, le=3600, description=(
        "the Retry-After of every 503 the replica sheds"))] = 1


@dataclass(frozen=True)
class Switch:
    enabled: bool = False


@dataclass(frozen=True)
class Mitigations:
    admission_control: AdmissionControl = field(default_factory=AdmissionControl)
    deadline_propagation: Annotated[Switch, Meta(description=(
        "honour X-Deadline-Ms: expired requests are not started, work stops at the deadline"))] = \
        field(default_factory=Switch)
    first_attempt_priority: Annotated[Switch, Meta(description=(
        "first attempts (X-Attempt: 1) are served before any retry"))] = field(default_factory=Switch)


@dataclass(frozen=True)
class Kv:
    max_items: Annotated[int, Meta(ge=0)] = 100000
    max_value_bytes: Annotated[int, Meta(ge=0, le=MAX_BYTES)] = 1048576
    preload_items: Annotated[int, Meta(ge=0, description="item-00000... stored at start")] = 0
    preload_value_bytes: Annotated[int, Meta(ge=0, le=MAX_BYTES)] = 4096


@dataclass(frozen=True)
class Membership:
    services: Annotated[tuple[Name, ...], Meta(
        description="services whose membership this dns replica publishes")] = ()


@dataclass(frozen=True)
class ServiceConfig:
    """A service replica's settings (services/*.yml, STORMLAB_SERVICE_*, --set)."""

    name: Name  # its metrics' service label, e.g. api, dns, kv
    role: Role = "control-plane"
    replica: Annotated[str | None, Meta(min_length=1, description=(
        "this replica's id; null: the host name"))] = None
    host: str = "0.0.0.0"
    port: Annotated[int, Meta(ge=0, le=65535)] = 8080
    max_request_bytes: Annotated[int, Meta(ge=1, description="bodies above it are refused (413)")] = 1048576
    capacity: Capacity = field(default_factory=Capacity)
    work: Work = field(default_factory=Work)
    queue: Queue = field(default_factory=Queue)
    mitigations: Mitigations = field(default_factory=Mitigations)
    kv: Kv = field(default_factory=Kv)
    membership: Membership = field(default_factory=Membership)


class ChangeRefused(ConfigError):
    """A live change refused whole. ``conflict``: it was well formed, but the settings it
    would give break a rule given the settings in force (HTTP 409, else 400)."""

    def __init__(self, problems: list[str], source: str, conflict: bool):
        super().__init__(problems, source)
        self.conflict = conflict


@cache
def live_change_schema() -> dict[str, Any]:
    """The JSON Schema of a live change: a JSON merge patch (RFC 7386) of the live sections."""
    sections = patch_schema_of(ServiceConfig)["properties"]
    return {"type": "object", "additionalProperties": False,
            "description": "a JSON merge patch of the live sections: keys merge, null restores a default",
            "properties": {name: copy.deepcopy(sections[name]) for name in LIVE_SECTIONS}}


def live_changed(current: ServiceConfig, change: Any, prefix: tuple = (),
                 source: str = "change") -> ServiceConfig:
    """The settings ``change`` (a merge patch of live sections) makes of ``current``.
    Raises ChangeRefused naming every problem; ``current`` is left as it was."""
    problems, conflict = _refusal(current, change, tuple(prefix))
    if problems:
        raise ChangeRefused(problems, source, conflict)
    return _patched(ServiceConfig, current, change, source, prefix)


def live_change_problems(current: ServiceConfig, change: Any, prefix: tuple = ()) -> list[str]:
    """Every problem ``live_changed`` would raise (empty: the change would be applied)."""
    return _refusal(current, change, tuple(prefix))[0]


def _refusal(current: ServiceConfig, change: Any, prefix: tuple) -> tuple[list[str], bool]:
    if not isinstance(change, Mapping):
        kind = "an array" if isinstance(change, list) else repr(change)
        return [f"{dotted(prefix)}: expected a JSON object (a merge patch), got {kind}"], False
    fixed = sorted(set(change) - set(LIVE_SECTIONS))
    known = set(ServiceConfig.__dataclass_fields__)
    problems = [f"{dotted((*prefix, key))}: cannot change while running (live sections: "
                f"{', '.join(LIVE_SECTIONS)})" for key in fixed if key in known]
    problems += [f"{dotted((*prefix, key))}: unknown key; expected one of: {', '.join(LIVE_SECTIONS)}"
                 for key in fixed if key not in known]
    live = {key: value for key, value in change.items() if key in LIVE_SECTIONS}
    malformed = validation_problems(live_change_schema(), live, prefix)
    merged = merge_patch(dump(current), live)
    # Worded as for a whole config (the settings it would give); the patch's own wording
    # only for what merging hides (an unknown key set to null).
    found = problems_of(ServiceConfig, merged, prefix)
    if malformed and not validation_problems(schema_of(ServiceConfig), merged):
        found = malformed + found
    return problems + found, not (problems or malformed) and found == _rule_problems(merged, prefix)


def _rule_problems(data: dict, prefix: tuple) -> list[str] | None:
    """What the ``check`` rules say of well-formed settings (None: they are not well formed)."""
    try:
        return check_problems(build(ServiceConfig, data), prefix)
    except Exception:  # not even buildable: a value no rule is about
        return None


# --- request bodies --------------------------------------------------------------------------

@dataclass(frozen=True)
class Launch:
    """POST /v1/instances (control-plane): instances to launch."""

    count: Annotated[int, Meta(ge=1, le=100)]
    instance_type: Annotated[str, Meta(pattern=r"^[a-z0-9]{1,16}\.[a-z0-9]{1,16}$",
                                       description="an instance type such as m5.large")] = "m5.large"


@dataclass(frozen=True)
class Endpoint:
    replica: Annotated[str, Meta(min_length=1, max_length=200, description="the replica's id")]
    address: Annotated[str, Meta(pattern=r"^[A-Za-z0-9.:_-]{1,200}:[0-9]{1,5}$", description="host:port")]


@dataclass(frozen=True)
class Announcement:
    """PUT /admin/membership/{service} (dns): a service's endpoints, to publish."""

    endpoints: Annotated[tuple[Endpoint, ...], Meta(max_items=1000)]
    republish: Annotated[bool, Meta(description=(
        "a new version even if the endpoints are the same (as every write to etcd is a new "
        "revision): the experiment runner's scaling activity, which must make every watcher "
        "reconnect"))] = False


@dataclass(frozen=True)
class Sample:
    name: Annotated[str, Meta(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$",
                              description="a Prometheus metric name")]
    value: Annotated[float, Meta(ge=-sys.float_info.max, le=sys.float_info.max)]
    labels: Annotated[dict, Meta(schema={"type": "object", "maxProperties": 16,
                                         "additionalProperties": {"type": "string", "maxLength": 200}})] = \
        field(default_factory=dict)


@dataclass(frozen=True)
class MetricPush:
    """POST /v1/metrics (monitoring-ingest): one agent's samples."""

    agent: Name
    samples: Annotated[tuple[Sample, ...], Meta(max_items=1000)]
