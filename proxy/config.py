"""The proxy's settings, devices and links: the schemas, and the typed config built from them.

One set of schemas serves the file read at start (file < STORMLAB_PROXY_* env < --set) and
every live change through the admin API, so both report bad input the same way, with paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from proxy.admission import ConnectionLimits
from proxy.faults import FAULT_TYPES
from proxy.shaper import DirectionLimits
from stormlab_common.config import (
    NAME_SCHEMA,
    ConfigError,
    dotted,
    fill_defaults,
    load_config,
    validate,
    validation_problems,
)

ENV_PREFIX = "STORMLAB_PROXY_"
DEFAULT_DEVICE = "border"

_PORT = {"type": "integer", "minimum": 0, "maximum": 65535}
_OPTIONAL_RATE = {"type": ["number", "null"], "exclusiveMinimum": 0}

DIRECTION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "bytes_per_second": {**_OPTIONAL_RATE, "default": None,
                             "description": "shared bandwidth in this direction; null = unlimited"},
        "burst_bytes": {"type": ["integer", "null"], "minimum": 1, "default": None,
                        "description": "bytes that may pass back to back after an idle spell; at "
                                       "least one chunk; null = max(4 chunks, 20 ms at the rate)"},
        "buffer_bytes": {"type": "integer", "minimum": 1, "default": 4194304,
                         "description": "bytes the device queues before senders must wait"},
    },
}

CONNECTIONS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "new_per_second": {**_OPTIONAL_RATE, "default": None,
                           "description": "new connections the device sets up per second; null = unlimited"},
        "new_burst": {"type": ["integer", "null"], "minimum": 1, "default": None,
                      "description": "setups allowed back to back; null = max(1, 50 ms at the rate)"},
        "max_active": {"type": ["integer", "null"], "minimum": 1, "default": None,
                       "description": "size of the connection table; null = unlimited"},
        "backlog": {"type": "integer", "minimum": 0, "default": 1024,
                    "description": "attempts that may wait for the device"},
        "backlog_timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 2.0},
        "on_overflow": {"enum": ["refuse", "reset"], "default": "refuse",
                        "description": "refuse (close) or reset (RST) attempts the device turns away"},
        "setup_cost_bytes": {"type": "integer", "minimum": 0, "maximum": 1048576, "default": 0,
                             "description": "device work per connection attempt, charged against the "
                                            "bandwidth of each limited direction (0 = free)"},
    },
}

DEVICE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "upstream": {**DIRECTION_SCHEMA, "default": {}},
        "downstream": {**DIRECTION_SCHEMA, "default": {}},
        "connections": {**CONNECTIONS_SCHEMA, "default": {}},
    },
}

FAULT_SCHEMA = {  # each fault type's own schema is checked in parse_link
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"enum": sorted(FAULT_TYPES)}},
}

LINK_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["listen_port", "upstream"],
    "properties": {
        "listen_port": {**_PORT, "description": "port the link listens on (0 picks a free one)"},
        "upstream": {"type": "string", "pattern": r"^[^:\s]+:[0-9]{1,5}$",
                     "description": "host:port of the service the link forwards to"},
        "device": {**NAME_SCHEMA, "default": DEFAULT_DEVICE},
        "protocol": {"enum": ["tcp", "http"], "default": "tcp",
                     "description": "http: the proxy tracks requests (counts them; per-request faults)"},
        "faults": {"type": "object", "default": {}, "propertyNames": NAME_SCHEMA,
                   "additionalProperties": FAULT_SCHEMA},
    },
}

SETTINGS_SCHEMA = {  # the process-wide settings that may change live
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "chunk_bytes": {"type": "integer", "minimum": 512, "maximum": 1048576, "default": 65536,
                        "description": "largest read; the unit the device schedules"},
        "connect_timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 2.0},
        "resolve_ttl_seconds": {"type": "number", "minimum": 0, "default": 1.0,
                                "description": "how long an upstream's addresses are reused"},
    },
}

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **SETTINGS_SCHEMA["properties"],
        "listen_host": {"type": "string", "default": "0.0.0.0"},
        "admin": {
            "type": "object", "additionalProperties": False, "default": {},
            "properties": {"host": {"type": "string", "default": "0.0.0.0"},
                           "port": {**_PORT, "default": 8474}},
        },
        "seed": {"type": ["integer", "null"], "default": None,
                 "description": "seeds every fault's random choices; null = unseeded"},
        "devices": {"type": "object", "default": {DEFAULT_DEVICE: {}}, "propertyNames": NAME_SCHEMA,
                    "additionalProperties": DEVICE_SCHEMA},
        "links": {"type": "object", "default": {}, "propertyNames": NAME_SCHEMA,
                  "additionalProperties": LINK_SCHEMA},
    },
}


@dataclass
class ProxySettings:
    """Process-wide settings every link reads live."""

    chunk_bytes: int = 65536
    connect_timeout_seconds: float = 2.0
    resolve_ttl_seconds: float = 1.0
    listen_host: str = "0.0.0.0"
    seed: int | None = None


@dataclass(frozen=True)
class DeviceConfig:
    upstream: DirectionLimits = field(default_factory=DirectionLimits)
    downstream: DirectionLimits = field(default_factory=DirectionLimits)
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)


@dataclass(frozen=True)
class LinkConfig:
    listen_port: int
    upstream_host: str
    upstream_port: int
    device: str = DEFAULT_DEVICE
    protocol: str = "tcp"
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def upstream(self) -> str:
        return f"{self.upstream_host}:{self.upstream_port}"


@dataclass(frozen=True)
class ProxyConfig:
    settings: ProxySettings
    admin_host: str
    admin_port: int
    devices: dict[str, dict]  # name -> validated raw config (defaults filled)
    links: dict[str, dict]


def load_proxy_config(file=None, env=None, overrides=None) -> ProxyConfig:
    return build_config(load_config(SCHEMA, env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides))


def config_from_dict(data: dict) -> ProxyConfig:
    """The config from a plain dict, as if read from a file (for tests and embedding)."""
    return build_config(validate(SCHEMA, data))


def build_config(raw: dict) -> ProxyConfig:
    """The typed config from a schema-valid dict, checking what the schema cannot."""
    settings = ProxySettings(chunk_bytes=raw["chunk_bytes"],
                             connect_timeout_seconds=float(raw["connect_timeout_seconds"]),
                             resolve_ttl_seconds=float(raw["resolve_ttl_seconds"]),
                             listen_host=raw["listen_host"], seed=raw["seed"])
    problems: list[str] = []
    links: dict[str, dict] = {}
    for name, device in raw["devices"].items():
        problems += _collect(parse_device, device, settings.chunk_bytes, ("devices", name))
    for name, link in raw["links"].items():
        try:
            links[name] = with_fault_defaults(link, ("links", name))
            parse_link(links[name], set(raw["devices"]), ("links", name))
        except ConfigError as exc:
            problems += exc.problems
    problems += duplicate_ports({name: link["listen_port"] for name, link in raw["links"].items()})
    if problems:
        raise ConfigError(problems)
    return ProxyConfig(settings, raw["admin"]["host"], raw["admin"]["port"], raw["devices"], links)


def parse_device(raw: dict, chunk_bytes: int, path: tuple = ()) -> DeviceConfig:
    """The typed device from a schema-valid dict, checking what a schema cannot."""
    problems = []
    directions = {}
    for direction in ("upstream", "downstream"):
        limits = raw[direction]
        rate, burst = limits["bytes_per_second"], limits["burst_bytes"]
        where = dotted([*path, direction])
        if burst is not None and burst < chunk_bytes:
            problems.append(f"{where}.burst_bytes: expected at least one chunk ({chunk_bytes} bytes), "
                            f"got {burst}")
        if limits["buffer_bytes"] < chunk_bytes:
            problems.append(f"{where}.buffer_bytes: expected at least one chunk ({chunk_bytes} bytes), "
                            f"got {limits['buffer_bytes']}")
        if burst is None:
            burst = max(4 * chunk_bytes, int(rate * 0.02)) if rate else 4 * chunk_bytes
        directions[direction] = DirectionLimits(rate, burst, limits["buffer_bytes"])
    if problems:
        raise ConfigError(problems)
    c = raw["connections"]
    rate = c["new_per_second"]
    new_burst = c["new_burst"] if c["new_burst"] is not None else max(1, int((rate or 0) * 0.05))
    connections = ConnectionLimits(c["max_active"], rate, new_burst, c["backlog"],
                                   float(c["backlog_timeout_seconds"]), c["on_overflow"],
                                   c["setup_cost_bytes"])
    return DeviceConfig(directions["upstream"], directions["downstream"], connections)


def with_fault_defaults(raw_link: dict, path: tuple = ()) -> dict:
    """Validate each fault against its own type's schema; return the link with defaults filled."""
    problems, faults = [], {}
    for name, fault in raw_link["faults"].items():
        schema = FAULT_TYPES[fault["type"]].SCHEMA
        found = validation_problems(schema, fault, (*path, "faults", name))
        problems += found
        if not found:
            faults[name] = fill_defaults(schema, fault)
    if problems:
        raise ConfigError(problems)
    return {**raw_link, "faults": faults}


def parse_link(raw: dict, devices: set[str], path: tuple = ()) -> LinkConfig:
    problems = []
    host, _, port = raw["upstream"].rpartition(":")
    if not 1 <= int(port) <= 65535:
        problems.append(f"{dotted([*path, 'upstream'])}: expected a port in 1..65535, got {port}")
    if raw["device"] not in devices:
        known = ", ".join(sorted(devices)) or "(none defined)"
        problems.append(f"{dotted([*path, 'device'])}: unknown device {raw['device']!r}; "
                        f"defined devices: {known}")
    for name, fault in raw["faults"].items():
        if FAULT_TYPES[fault["type"]].acts_on_requests(fault) and raw["protocol"] != "http":
            problems.append(f"{dotted([*path, 'faults', name])}: a {fault['type']} fault acting on "
                            f"requests needs protocol: http on its link, got protocol: {raw['protocol']}")
    if problems:
        raise ConfigError(problems)
    return LinkConfig(raw["listen_port"], host, int(port), raw["device"], raw["protocol"], raw["faults"])


def duplicate_ports(ports: dict[str, int]) -> list[str]:
    problems = []
    busy = [port for port in ports.values() if port]
    for port in sorted({p for p in busy if busy.count(p) > 1}):
        users = ", ".join(sorted(name for name, p in ports.items() if p == port))
        problems.append(f"links: listen_port {port} is used by more than one link ({users})")
    return problems


def _collect(parse, raw, chunk_bytes, path) -> list[str]:
    try:
        parse(raw, chunk_bytes, path)
    except ConfigError as exc:
        return exc.problems
    return []
