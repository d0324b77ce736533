"""The validated settings as typed, immutable objects (built from the schema's dict)."""

from __future__ import annotations

from dataclasses import InitVar, asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Capacity:
    workers: int = 8
    queue_limit: int = 256


@dataclass(frozen=True)
class Work:
    service_time_seconds: float = 0.01  # the mean
    distribution: str = "fixed"
    p99_seconds: float | None = None
    response_bytes: int = 1024


@dataclass(frozen=True)
class Queue:
    discipline: str = "fifo"
    codel_target_seconds: float = 0.005
    codel_interval_seconds: float = 0.1


@dataclass(frozen=True)
class Mitigations:
    admission_control: bool = False
    max_queue_delay_seconds: float = 0.25
    retry_after_seconds: int = 1
    deadline_propagation: bool = False
    first_attempt_priority: bool = False


@dataclass(frozen=True)
class Live:
    """What may change while the service runs (PATCH /admin/config)."""

    capacity: Capacity = field(default_factory=Capacity)
    work: Work = field(default_factory=Work)
    queue: Queue = field(default_factory=Queue)
    mitigations: Mitigations = field(default_factory=Mitigations)


@dataclass(frozen=True)
class Kv:
    max_items: int = 100000
    max_value_bytes: int = 1048576
    preload_items: int = 0
    preload_value_bytes: int = 4096


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    replica: str
    role: str = "control-plane"
    host: str = "0.0.0.0"
    port: int = 8080
    max_request_bytes: int = 1048576
    live: Live = field(default_factory=Live)
    kv: Kv = field(default_factory=Kv)
    membership_services: tuple[str, ...] = ()
    # The first version's shorthand, ServiceConfig(name=..., service_time_seconds=...),
    # still accepted so its callers keep working: both set live.work.
    service_time_seconds: InitVar[float | None] = None
    response_bytes: InitVar[int | None] = None

    def __post_init__(self, service_time_seconds: float | None, response_bytes: int | None) -> None:
        given = {"service_time_seconds": service_time_seconds, "response_bytes": response_bytes}
        given = {key: value for key, value in given.items() if value is not None}
        if given:
            object.__setattr__(self, "live", replace(self.live, work=replace(self.live.work, **given)))

    @property
    def raw(self) -> dict[str, Any]:
        """The settings as the schema shapes them (what GET /admin/config shows and a live
        change is merged into)."""
        live, mitigations = self.live, self.live.mitigations
        work = {key: value for key, value in asdict(live.work).items() if value is not None}
        return {
            "name": self.name, "replica": self.replica, "role": self.role, "host": self.host,
            "port": self.port, "max_request_bytes": self.max_request_bytes,
            "capacity": asdict(live.capacity), "work": work, "queue": asdict(live.queue),
            "mitigations": {
                "admission_control": {"enabled": mitigations.admission_control,
                                      "max_queue_delay_seconds": mitigations.max_queue_delay_seconds,
                                      "retry_after_seconds": mitigations.retry_after_seconds},
                "deadline_propagation": {"enabled": mitigations.deadline_propagation},
                "first_attempt_priority": {"enabled": mitigations.first_attempt_priority},
            },
            "kv": asdict(self.kv),
            "membership": {"services": list(self.membership_services)},
        }


def settings_from(raw: dict[str, Any]) -> ServiceConfig:
    mitigations = raw["mitigations"]
    admission = mitigations["admission_control"]
    work = raw["work"]
    return ServiceConfig(
        name=raw["name"],
        replica=raw["replica"],
        role=raw["role"],
        host=raw["host"],
        port=raw["port"],
        max_request_bytes=raw["max_request_bytes"],
        live=Live(
            capacity=Capacity(**raw["capacity"]),
            work=Work(service_time_seconds=float(work["service_time_seconds"]),
                      distribution=work["distribution"],
                      p99_seconds=float(work["p99_seconds"]) if "p99_seconds" in work else None,
                      response_bytes=work["response_bytes"]),
            queue=Queue(discipline=raw["queue"]["discipline"],
                        codel_target_seconds=float(raw["queue"]["codel_target_seconds"]),
                        codel_interval_seconds=float(raw["queue"]["codel_interval_seconds"])),
            mitigations=Mitigations(
                admission_control=admission["enabled"],
                max_queue_delay_seconds=float(admission["max_queue_delay_seconds"]),
                retry_after_seconds=admission["retry_after_seconds"],
                deadline_propagation=mitigations["deadline_propagation"]["enabled"],
                first_attempt_priority=mitigations["first_attempt_priority"]["enabled"]),
        ),
        kv=Kv(**raw["kv"]),
        membership_services=tuple(raw["membership"]["services"]),
    )

