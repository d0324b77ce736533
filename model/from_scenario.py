"""The model's inputs from a loaded scenario (``stormlab_common.scenario.load_scenario``),
read by its attributes only: the runner's Scenario is not imported.

A scenario's ``devices``, ``links``, ``services`` and ``client_config`` are patches over the
stack's own settings (stormlab_common/scenario/stack_definition.py: proxy/config.yml, the
services' files, loadgen/config.yml), merged the way the runner sends them; its operator
actions are replayed, each through its own ``apply``, on a lab on paper that turns every
change into the model's terms (model/inputs.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from model.inputs import (
    Action,
    Bandwidth,
    Call,
    Clients,
    DeviceInput,
    ModelInputs,
    Poll,
    Profile,
    Route,
    Rules,
    ServiceInput,
    SetClientCount,
    SetDevice,
    SetProfiles,
    SetRoute,
    SetService,
    Trigger,
)
from stormlab_common.contracts import loadgen as loadgen_contract
from stormlab_common.contracts.loadgen_patch import patched_config
from stormlab_common.contracts.proxy import (
    Device,
    Link,
    effective_burst_bytes,
    effective_new_burst,
    patched_link,
)
from stormlab_common.contracts.proxy_numbers import whole_numbers
from stormlab_common.contracts.service import ServiceConfig, live_changed
from stormlab_common.model import parse, patched

POLL_RESPONSE_BYTES = 512  # a membership: a version and a few endpoints
SMALL_RESPONSE_BYTES = 128  # what a kv write or delete answers


def inputs_from_scenario(scenario: Any, stack: Any = None) -> ModelInputs:
    """``scenario``: what ``load_scenario`` returns; ``stack``: the stack definition (default:
    the repository's docker-compose.yml)."""
    if stack is None:
        from stormlab_common.scenario.stack_definition import read_stack_definition

        stack = read_stack_definition()
    lab = PaperLab(stack)
    for name, patch in scenario.devices.items():
        lab.patch_device(name, patch)
    own = getattr(scenario, "service_under_test", None)
    if own is not None:  # the link the run creates (or changes) for it, as the runner does
        lab.put_link(own.link, own.link_config())
    for name, patch in scenario.links.items():
        lab.patch_link(name, patch)
    for name, patch in scenario.services.items():
        lab.patch_service(name, patch)
    lab.configure_clients(scenario.client_config, scenario.seed, scenario.client_count)
    devices = {name: lab.device_input(name) for name in lab.devices}
    services = {name: service_input(config) for name, config in lab.services.items()}
    routes = {target: lab.route(target) for target in lab.config.targets}
    clients = lab.clients_input(scenario.spawn_rate)
    actions = []
    for timed in scenario.actions:
        lab.effects = []
        timed.action.apply(lab)
        actions.append(Action(timed.at, timed.name, tuple(lab.effects)))
    trigger = None
    if scenario.trigger is not None:
        t = scenario.trigger
        trigger = Trigger(t["at"], t["duration"], t.get("surge_factor", 1.0), t.get("membership"),
                          bool(t.get("boot_fetch", False)))
    return ModelInputs(
        name=scenario.name, devices=devices, services=services, routes=routes, clients=clients,
        warmup=scenario.warmup, end=scenario.end, trigger=trigger, actions=tuple(actions),
        rules=Rules(scenario.down_fraction, scenario.recover_within), seed=scenario.seed)


class PaperLab:
    """The stack's settings as a run changes them, and each change as the model's effect.
    It offers the calls an action makes (stormlab_common/scenario/actions/base.py, ``Lab``)."""

    def __init__(self, stack: Any):
        self.chunk_bytes = stack.proxy.chunk_bytes
        self.devices: dict[str, Device] = dict(stack.proxy.devices)
        self.links = dict(stack.proxy.links)
        self.services: dict[str, ServiceConfig] = dict(stack.services)
        self.loadgen_base = stack.loadgen_base
        self.base_profiles = list(stack.base_profiles)
        self.base_workload = list(patched_config(self.loadgen_base, {}).workload)
        self.patch: dict = {}
        self.config = patched_config(self.loadgen_base, {})
        self.client_count = 0
        self.effects: list = []

    # -- the calls an action makes --------------------------------------------------------------
    def patch_device(self, device: str, patch: dict) -> None:
        patch = whole_numbers(patch)
        current = self.devices.get(device)
        self.devices[device] = parse(Device, patch) if current is None else patched(Device, current, patch)
        self.effects.append(SetDevice(device, self.device_input(device)))

    def patch_link(self, link: str, patch: dict) -> None:
        self.links[link] = patched_link(self.links[link], patch)
        for target in self.config.targets:
            if self._link_of(target) == link:
                self.effects.append(SetRoute(target, self.route(target)))

    def put_link(self, link: str, config: dict) -> None:
        if link in self.links:
            self.patch_link(link, config)
        else:
            self.links[link] = parse(Link, config)

    def patch_service(self, service: str, patch: dict) -> None:
        self.services[service] = live_changed(self.services[service], patch)
        self.effects.append(SetService(service, service_input(self.services[service])))

    def set_client_count(self, count: int, spawn_rate: float = 100.0) -> None:
        self.client_count = count
        self.effects.append(SetClientCount(count, spawn_rate))

    def patch_clients(self, profile_patch: dict) -> None:
        """Every profile in force gets the patch's keys, each replaced whole (a policy switch
        sends the new policy, never one merged with the old), as the runner sends it."""
        run = copy.deepcopy(self.patch)
        profiles = run.get("clients") or {}
        names = [name for name, profile in profiles.items() if profile is not None] or self.base_profiles
        for name in names:
            profile = copy.deepcopy(profiles.get(name) or dict(self._base_profile(name)))
            profile.update(copy.deepcopy(dict(profile_patch)))
            profiles[name] = profile
        run["clients"] = {**dict.fromkeys(self.base_profiles), **profiles}
        self._configure(run)
        self.effects.append(SetProfiles(self.profiles()))

    # -- the clients' config --------------------------------------------------------------------
    def configure_clients(self, patch: Mapping, seed: int, count: int) -> None:
        """The scenario's patch as the runner sends it: the base's profiles (and calls) replaced,
        not merged, when the scenario names its own; its seed."""
        run = copy.deepcopy(dict(patch))
        for key, base in (("clients", self.base_profiles), ("workload", self.base_workload)):
            if isinstance(run.get(key), Mapping):
                run[key] = {**dict.fromkeys(base), **run[key]}
        run["seed"] = seed
        self._configure(run)
        self.client_count = count

    def _configure(self, run: dict) -> None:
        self.patch = run
        self.config = patched_config(self.loadgen_base, run, "the clients' config")

    def _base_profile(self, name: str) -> Mapping:
        return (self.loadgen_base.get("clients") or {}).get(name) or {}

    def profiles(self) -> tuple[Profile, ...]:
        return tuple(Profile(policy=p.policy, weight=p.weight, attempt_timeout=p.attempt_timeout_seconds,
                             deadline=p.deadline_seconds, reuse_connections=p.reuses_connections,
                             respect_retry_after=p.respects_retry_after)
                     for p in self.config.profiles)

    def clients_input(self, spawn_rate: float) -> Clients:
        config = self.config
        poll = None
        if config.membership is not None:
            watch = config.membership
            poll = Poll(Call("membership", watch.target, response_bytes=POLL_RESPONSE_BYTES),
                        watch.poll_seconds, watch.service)
        calls = tuple(self._call(name, call) for name, call in config.workload.items())
        return Clients(count=self.client_count, profiles=self.profiles(), calls=calls,
                       requests_per_second=config.arrivals.requests_per_second,
                       process=config.arrivals.process, spawn_rate=spawn_rate, poll=poll,
                       max_in_flight=config.max_in_flight_per_client,
                       max_attempts_per_second=config.max_attempts_per_second)

    def _call(self, name: str, call: loadgen_contract.Call) -> Call:
        body = call.body_bytes or (len(json.dumps(call.body_json)) if call.body_json is not None else 0)
        return Call(name, call.target, call.weight, body, self._response_bytes(call))

    def _response_bytes(self, call: loadgen_contract.Call) -> int:
        """What the service answers: its ``response_bytes``; a kv store's stored value for a
        read of a preloaded item, a short answer to its other calls."""
        service = self.services.get(self.route(call.target).service or "")
        if service is None:
            return 1024
        if service.role == "kv":
            if call.method == "GET" and call.keys <= service.kv.preload_items:
                return service.kv.preload_value_bytes
            return SMALL_RESPONSE_BYTES
        return service.work.response_bytes

    # -- the proxy --------------------------------------------------------------------------------
    def _link_of(self, target: str) -> str | None:
        port = urlsplit(self.config.targets[target].url).port or 80
        return next((name for name, link in self.links.items() if link.listen_port == port), None)

    def route(self, target: str) -> Route:
        link = self._link_of(target)
        if link is None:  # not through the proxy
            return Route(None, urlsplit(self.config.targets[target].url).hostname)
        return Route(self.links[link].device, self.links[link].upstream_host)

    def device_input(self, name: str) -> DeviceInput:
        device = self.devices[name]
        c = device.connections
        return DeviceInput(
            setups_per_second=c.new_per_second, setup_burst=float(effective_new_burst(c)),
            max_active=c.max_active, backlog=c.backlog, backlog_timeout=c.backlog_timeout_seconds,
            setup_cost_bytes=c.setup_cost_bytes,
            downstream=Bandwidth(device.downstream.bytes_per_second,
                                 float(effective_burst_bytes(device.downstream, self.chunk_bytes))),
            upstream=Bandwidth(device.upstream.bytes_per_second,
                               float(effective_burst_bytes(device.upstream, self.chunk_bytes))))


def service_input(config: ServiceConfig) -> ServiceInput:
    admission = config.mitigations.admission_control
    return ServiceInput(
        workers=config.capacity.workers, queue_limit=config.capacity.queue_limit,
        service_time=config.work.service_time_seconds, distribution=config.work.distribution,
        p99=config.work.p99_in_force_seconds,
        shed_above_delay=admission.max_queue_delay_seconds if admission.enabled else None,
        retry_after=float(admission.retry_after_seconds))
