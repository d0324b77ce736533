"""The load generator's settings (loadgen/config.yml; docs/clients.md): one definition for the
file it loads at start, every live change (stormlab_common/contracts/loadgen_patch.py) and an
offline check of a scenario.

A population of internal clients: each new client takes a **profile** by weight (its retry
policy and timeouts); each generates logical requests on its own schedule (**arrivals**),
each request a **call** from the **workload** mix, sent to a **target** (a proxy link).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from stormlab_common.config import ConfigError, dotted, validation_problems
from stormlab_common.contracts.policies import NoRetriesParams, PolicyParams, client_default
from stormlab_common.contracts.shapes import Shape
from stormlab_common.model import Meta, Name, build, defaults, problems_of, schema_of

Positive = Annotated[float, Meta(gt=0, le=1e6)]
Seconds = Annotated[float, Meta(gt=0, le=3600)]


@dataclass(frozen=True)
class Target:
    # The host in ASCII letters, digits, '.', '-', '_': a class like [^\s] would mean one thing to
    # Python's re (which counts \x1c-\x1f as space) and another to a JSON Schema generator.
    url: Annotated[str, Meta(pattern=r"^http://[A-Za-z0-9._-]+(:[0-9]{1,5})?$",
                             description="http://host:port of the proxy link to the service")]


@dataclass(frozen=True)
class Call:
    """One kind of logical request of the workload mix."""

    target: Name
    path: Annotated[str, Meta(pattern="^/[!-~]*$", description="a path starting with /, in printable ASCII "
                                                               "(no spaces); {n} (or {n:05d}, ...) becomes "
                                                               "a number in [0, keys)")]
    method: Literal["GET", "POST", "PUT", "DELETE"] = "GET"
    keys: Annotated[int, Meta(ge=1)] = 1000
    weight: Positive = 1.0
    body_bytes: Annotated[int, Meta(ge=0, le=1048576, description="send this many bytes as the body")] = 0
    body_json: Annotated[dict | None, Meta(schema={"type": ["object", "null"]},
                                           description="send this JSON as the body")] = None

    def check(self):
        if self.body_bytes and self.body_json is not None:
            return [((), "give body_bytes or body_json, not both")]
        return []


@dataclass(frozen=True)
class Profile:
    """What a new client taking this profile runs with."""

    policy: Annotated[PolicyParams, Meta(description="a retry policy: {name: ..., <its parameters>} "
                                                     "(docs/retry-policies.md)")]
    weight: Annotated[float, Meta(gt=0, le=1e6, description="share of new clients taking this profile")] = 1.0
    attempt_timeout_seconds: Seconds = 1.0
    deadline_seconds: Annotated[float, Meta(
        gt=0, le=3600, description="the logical request's overall deadline, sent as X-Deadline-Ms")] = 5.0
    connect_timeout_seconds: Seconds = 1.0
    reuse_connections: Annotated[bool | None, Meta(description="keep-alive pool (true) or a connection per "
                                                               "attempt; null: the policy's default "
                                                               "(naive: false, else true)")] = None
    respect_retry_after: Annotated[bool | None, Meta(description="wait at least Retry-After; null: the "
                                                                 "policy's default")] = None

    @property
    def policy_name(self) -> str:
        return self.policy.name

    @property
    def reuses_connections(self) -> bool:
        return _first(self.reuse_connections, client_default(self.policy, "reuse_connections"), True)

    @property
    def respects_retry_after(self) -> bool:
        return _first(self.respect_retry_after, client_default(self.policy, "respect_retry_after"), True)


@dataclass(frozen=True)
class Arrivals:
    process: Literal["poisson", "periodic"] = "poisson"
    requests_per_second: Annotated[float, Meta(gt=0, le=1e6, description="logical requests per "
                                                                          "client per second")] = 1.0


@dataclass(frozen=True)
class Membership:
    """Watch a service's membership through dns; reconnect when it changes."""

    service: Name
    target: Name = "dns"
    poll_seconds: Seconds = 2.0


def _default_targets() -> dict[str, Target]:
    return {"api": Target("http://proxy:8081")}


def _default_workload() -> dict[str, Call]:
    return {"work": Call("api", "/v1/work")}


def _default_clients() -> dict[str, Profile]:
    return {"default": Profile(NoRetriesParams())}


@dataclass(frozen=True)
class LoadgenConfig:
    seed: Annotated[int | None, Meta(description="same seed (and worker count): same clients, same arrival "
                                                 "schedules")] = None
    metrics_port: Annotated[int, Meta(ge=0, le=65535)] = 9646
    max_run_seconds: Annotated[float, Meta(gt=0, le=86400, description="a run stops by itself after this "
                                                                        "long, whatever started it")] = 900.0
    max_in_flight_per_client: Annotated[int, Meta(ge=1, description="logical requests a client runs at "
                                                                    "once; arrivals beyond it are dropped "
                                                                    "and counted")] = 200
    fetch_on_start: Annotated[bool, Meta(
        description="a client sends one request to every target the moment it starts, as a booting "
                    "instance fetches its config: clients started together make a synchronized first "
                    "wave (the scaling trigger's surge sets it)")] = False
    max_attempts_per_second: Annotated[float, Meta(
        gt=0, le=1e6, description="attempts this process may send per second: a cap that keeps the "
                                  "generator, not the device, from being the bottleneck unnoticed "
                                  "(waits are counted)")] = 3000.0
    arrivals: Arrivals = field(default_factory=Arrivals)
    targets: dict[Name, Target] = field(default_factory=_default_targets)
    workload: dict[Name, Call] = field(default_factory=_default_workload)
    clients: dict[Name, Profile] = field(default_factory=_default_clients)
    membership: Membership | None = None
    shape: Annotated[Shape | None, Meta(description="a load shape run from start "
                                                    "(stormlab_common/contracts/shapes.py); null: the "
                                                    "UI or API sets users")] = None

    def check(self):
        return (empty_problems({key: getattr(self, key) for key in _AT_LEAST_ONE})
                + unknown_target_problems(self.targets, _target_uses(self.workload, self.membership)))

    @property
    def target_urls(self) -> dict[str, str]:
        return {name: target.url for name, target in self.targets.items()}

    @property
    def profiles(self) -> tuple[Profile, ...]:
        """By name, so a seed picks the same profiles whatever order the config gave them in."""
        return tuple(profile for _, profile in sorted(self.clients.items()))


_AT_LEAST_ONE = {"targets": "target", "workload": "call", "clients": "profile"}


def empty_problems(settings: Mapping[str, Any]) -> list:
    """``(path, message)`` for each of targets, workload, clients given empty."""
    return [((key,), f"expected at least one {what}, got none") for key, what in _AT_LEAST_ONE.items()
            if isinstance(settings.get(key), Mapping) and not settings[key]]


def unknown_target_problems(targets: Iterable[str], uses: Iterable[tuple[tuple, Any]]) -> list:
    """``(path, message)`` for every use (``(path, target name)``) of a target not in ``targets``."""
    known = sorted(targets)
    return [(path, f"unknown target {name!r}; targets: {', '.join(known) or 'none'}")
            for path, name in uses if name not in known]


def _target_uses(workload: Mapping[str, Call], membership: Membership | None) -> list[tuple[tuple, str]]:
    uses = [(("workload", name, "target"), call.target) for name, call in workload.items()]
    if membership is not None:
        uses.append((("membership", "target"), membership.target))
    return uses


def parse_config(data: Any, source: str = "configuration", prefix: tuple = ()) -> LoadgenConfig:
    """The settings from plain data (a YAML file's), defaults filled in; ConfigError naming
    every problem."""
    problems = config_problems(data, prefix)
    if problems:
        raise ConfigError(problems, source)
    return build(LoadgenConfig, data)  # checked whole just now


def config_problems(data: Any, prefix: tuple = ()) -> list[str]:
    """Every problem ``parse_config`` finds, as a list. Where the schema finds a fault the top
    level's own rule (known targets) still runs on what is well formed, so every problem
    comes out at once."""
    if not _tags_hashable(data):
        # model.py's pass over the well-formed parts cannot look up a variant by a tag that is
        # a mapping or a list; the schema's own problems say what is wrong with it
        return validation_problems(schema_of(LoadgenConfig), data, tuple(prefix))
    problems = problems_of(LoadgenConfig, data, prefix)
    if problems and isinstance(data, Mapping):
        extra = [f"{dotted((*prefix, *path))}: {message}"
                 for path, message in empty_problems(data) + unknown_target_problems(*_target_names_in(data))]
        problems += [problem for problem in extra if problem not in problems]
    return problems


def _tags_hashable(data: Any) -> bool:
    """The tags of the tagged unions in config data (policy names, the shape's kind): none of
    them a mapping or a list."""
    if not isinstance(data, Mapping):
        return True
    clients = data.get("clients")
    profiles = clients.values() if isinstance(clients, Mapping) else ()
    policies = [profile.get("policy") for profile in profiles if isinstance(profile, Mapping)]
    tags = [policy.get("name") for policy in policies if isinstance(policy, Mapping)]
    if isinstance(data.get("shape"), Mapping):
        tags.append(data["shape"].get("kind"))
    return not any(isinstance(tag, dict | list) for tag in tags)


def _target_names_in(data: Mapping[str, Any]) -> tuple[list[str], list[tuple[tuple, str]]]:
    """The target names ``data`` defines and uses, read from its well-formed parts only."""
    targets = data.get("targets", defaults(LoadgenConfig)["targets"])
    if not isinstance(targets, Mapping) or not all(isinstance(t, Mapping) for t in targets.values()):
        return [], []  # no list of targets to check against
    uses = []
    workload = data.get("workload", defaults(LoadgenConfig)["workload"])
    for name, call in (workload.items() if isinstance(workload, Mapping) else ()):
        if isinstance(call, Mapping) and isinstance(call.get("target"), str):
            uses.append((("workload", name, "target"), call["target"]))
    membership = data.get("membership")
    if isinstance(membership, Mapping) and isinstance(membership.get("target"), str):
        uses.append((("membership", "target"), membership["target"]))
    return list(targets), uses


def _first(*values):
    return next(value for value in values if value is not None)
