"""The model's own input: plain frozen dataclasses holding only what the physics needs.

model/from_scenario.py builds them from a scenario file; tests and model/loop.py build them
by hand. Times are seconds since the run started, at the scale the run runs at; rates per
second; sizes in bytes. A policy is the contract's own parameter class
(stormlab_common/contracts/policies.py), so its defaults are the clients' defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Bandwidth:
    """One direction of a device: its shared rate (None: unlimited) and its burst."""

    bytes_per_second: float | None = None
    burst_bytes: float = 262144.0


@dataclass(frozen=True)
class DeviceInput:
    """A device's connection handling and bandwidth (docs/proxy.md)."""

    setups_per_second: float | None = None  # None: unlimited
    setup_burst: float = 1.0
    max_active: int | None = None  # the connection table; None: unlimited
    backlog: int = 1024  # attempts that may wait for a setup
    backlog_timeout: float = 2.0  # a waiting attempt is turned away after this long
    setup_cost_bytes: int = 0  # device bandwidth each arriving attempt spends, per limited direction
    downstream: Bandwidth = field(default_factory=Bandwidth)
    upstream: Bandwidth = field(default_factory=Bandwidth)


@dataclass(frozen=True)
class ServiceInput:
    """A service's capacity (one replica: workers, queue) and its mitigation that can shed."""

    workers: int = 8
    queue_limit: int = 256
    service_time: float = 0.01  # mean, seconds
    distribution: str = "fixed"  # fixed | exponential | lognormal
    p99: float = 0.03
    shed_above_delay: float | None = None  # admission control's bound; None: off
    retry_after: float = 1.0


@dataclass(frozen=True)
class Route:
    """Where a target's attempts go: the device they cross (None: none) and the service."""

    device: str | None
    service: str | None


@dataclass(frozen=True)
class Call:
    """One kind of logical request: its target and the bytes each way."""

    name: str
    target: str
    weight: float = 1.0
    request_bytes: int = 0
    response_bytes: int = 1024


@dataclass(frozen=True)
class Profile:
    """What a client taking this profile runs with."""

    policy: Any  # a parameter class of stormlab_common/contracts/policies.py
    weight: float = 1.0
    attempt_timeout: float = 1.0
    deadline: float = 5.0
    reuse_connections: bool = True
    respect_retry_after: bool = True


@dataclass(frozen=True)
class Poll:
    """The membership watch: a logical request every ``seconds`` after the previous one ended."""

    call: Call
    seconds: float
    service: str  # the service whose membership is watched


@dataclass(frozen=True)
class Clients:
    """The open-loop population."""

    count: int
    profiles: tuple[Profile, ...]
    calls: tuple[Call, ...]
    requests_per_second: float = 1.0  # per client
    process: str = "poisson"  # poisson | periodic
    spawn_rate: float = 100.0
    poll: Poll | None = None
    max_in_flight: int = 200  # per client; arrivals beyond are dropped
    max_attempts_per_second: float = 3000.0  # the load generator's own cap


@dataclass(frozen=True)
class Trigger:
    """The scaling activity: a membership announcement and a surge of clients."""

    at: float
    duration: float
    surge_factor: float = 1.0
    membership: str | None = None  # the service announced: clients watching it reconnect
    boot_fetch: bool = False  # the surge boots at once, each client fetching every target


# -- what an operator action does to the model ---------------------------------------------------
@dataclass(frozen=True)
class SetClientCount:
    count: int
    spawn_rate: float = 100.0


@dataclass(frozen=True)
class SetProfiles:
    """Every client re-picks its profile from these, with a fresh policy (switch_policy)."""

    profiles: tuple[Profile, ...]


@dataclass(frozen=True)
class SetRoute:
    """A target's attempts cross another device from now on (move_link)."""

    target: str
    route: Route


@dataclass(frozen=True)
class SetDevice:
    """A device's limits change, or a device is created (device_limits)."""

    name: str
    device: DeviceInput


@dataclass(frozen=True)
class SetService:
    """A service's capacity or mitigations change (service_settings)."""

    name: str
    service: ServiceInput


@dataclass(frozen=True)
class Action:
    at: float
    name: str
    effects: tuple  # of the Set* classes above


@dataclass(frozen=True)
class Rules:
    """How a run is judged (experiments/verdict.py's rule)."""

    down_fraction: float = 0.5
    recover_within: float = 30.0


@dataclass(frozen=True)
class ModelInputs:
    name: str
    devices: Mapping[str, DeviceInput]
    services: Mapping[str, ServiceInput]
    routes: Mapping[str, Route]  # by target
    clients: Clients
    warmup: float
    end: float
    trigger: Trigger | None = None
    actions: tuple[Action, ...] = ()
    rules: Rules = field(default_factory=Rules)
    seed: int = 1

    @property
    def capacity_device(self) -> str | None:
        """The device most of the clients' calls cross (by weight): the bottleneck."""
        weights: dict[str, float] = {}
        for call in self.clients.calls:
            device = self.routes[call.target].device
            if device is not None:
                weights[device] = weights.get(device, 0.0) + call.weight
        return max(weights, key=weights.get) if weights else None

    @property
    def capacity(self) -> float | None:
        """That device's setup rate: the capacity every attempt competes for when each one
        opens a connection."""
        device = self.capacity_device
        return self.devices[device].setups_per_second if device is not None else None

    def recovery_reference(self) -> float:
        """When recovery is judged from: the last action, else the trigger's end."""
        if self.actions:
            return self.actions[-1].at
        return self.trigger.at + self.trigger.duration if self.trigger else self.warmup
