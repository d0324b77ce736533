"""Your own service behind the device, in place of a mock one (docs/own-service.md): a link the
run creates on the proxy to any host:port the proxy's container reaches, a health check the
run waits for before its timeline, and the clients' config that sends the workload there.

The runner judges goodput from the clients' side (stormlab_common/queries.py), so the service
needs no metrics of its own. The clients get a target named after the link,
``http://proxy:<listen_port>`` (unless the scenario's clients.config names that target itself),
derived here once for the runner, the offline check and the model alike; the scenario's
workload, which replaces the stack's own mix (as every scenario's does), must send something
there.

The mock services stay: the clients' membership watch is part of the loadgen's config at start
(it cannot change while locust runs), so they still poll the mock dns through the device, and
the trigger's announcement still makes every client reconnect to every target it uses, yours
included.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from stormlab_common.contracts.proxy import UPSTREAM_PATTERN
from stormlab_common.model import Meta, Name

PROXY_HOST = "proxy"  # the device's name on the internal network (docker-compose.yml)


@dataclass(frozen=True)
class Health:
    """The check the run waits for, through the link, before its timeline starts."""

    path: Annotated[str, Meta(pattern="^/[!-~]*$", description=(
        "GET this path through the link, from the clients' network"))] = "/"
    expect_status: Annotated[int, Meta(ge=100, le=599, description="the status a healthy service "
                                                                   "answers")] = 200
    timeout_seconds: Annotated[float, Meta(gt=0, le=3600, description=(
        "asked every second until it answers so; then the run stops before its timeline, changing "
        "nothing; not scaled"))] = 60.0


@dataclass(frozen=True)
class ServiceUnderTest:
    """Your own service behind a link, in place of a mock service (docs/own-service.md)."""

    link: Name  # the link the run creates (and removes afterwards); the clients' target of that name
    upstream: Annotated[str, Meta(pattern=UPSTREAM_PATTERN, description=(
        "host:port of your service as the proxy's container reaches it (a Compose service on the "
        "main network, or any address)"))]
    listen_port: Annotated[int, Meta(ge=1, le=65535, description="the link's port on the proxy")]
    device: Name = "border"  # the device the link crosses
    protocol: Annotated[Literal["http", "tcp"], Meta(description=(
        "http: the device counts requests and per-request faults can act"))] = "http"
    health: Health = field(default_factory=Health)

    def link_config(self) -> dict:
        """The link's config as the proxy takes it (``POST /links`` with its name)."""
        return {"listen_port": self.listen_port, "upstream": self.upstream, "device": self.device,
                "protocol": self.protocol}

    @property
    def target_url(self) -> str:
        return f"http://{PROXY_HOST}:{self.listen_port}"

    @property
    def health_url(self) -> str:
        return self.target_url + self.health.path


def clients_config(config: Mapping[str, Any], service: ServiceUnderTest | None) -> dict:
    """The scenario's clients.config as the run sends it: with a service under test, a target
    named after its link."""
    patched = copy.deepcopy(dict(config))
    targets = patched.get("targets")
    # (targets that are not a mapping are sent as they are, for the loadgen's rules to refuse)
    if service is not None and (targets is None or isinstance(targets, Mapping)):
        patched["targets"] = {service.link: {"url": service.target_url}, **(targets or {})}
    return patched


def service_problems(service: ServiceUnderTest | None, config: Any) -> list[str]:
    """A service under test needs a workload that reaches it."""
    workload = config.get("workload") if isinstance(config, Mapping) else None
    calls = workload.values() if isinstance(workload, Mapping) else ()
    if service is None or any(isinstance(call, Mapping) and call.get("target") == service.link
                              for call in calls):
        return []
    return [f"clients.config.workload: no call goes to the service under test; expected at least one with "
            f"target: {service.link} (e.g. {{page: {{target: {service.link}, path: /}}}}): the scenario's "
            "workload replaces the stack's own mix"]
