"""The discrete-event model: open-loop clients, their retry policies, the device, the services.

Events, in time order (a heap):
- a client's next **arrival** (Poisson or periodic) starts a logical request; its
  membership **poll** starts one too, every ``poll.seconds`` after the last one ended;
- an attempt is **sent**: the policy may refuse it; it needs a new connection unless the
  client keeps one alive, and the device decides at once when that connection is set up or
  turned away (model/device.py). An attempt whose setup comes after its timeout has already
  failed (the setup is wasted work); one turned away fails when it is;
- an attempt set up in time is **admitted**: request bytes up, the service's queue and work,
  response bytes down (model/service.py, model/shaper.py); it succeeds if all that ends
  within ``min(attempt timeout, time left to the deadline)``, else it times out;
- an attempt's **outcome**: the policy records it, then the request succeeds, retries after
  the policy's backoff (and Retry-After, where respected), or gives up;
- **controls**: clients starting and stopping, the trigger, the operator actions.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Callable

from model.clients import Client, Request, first_call_per_target, pick_profile
from model.device import CLOSE_SECONDS, Device
from model.inputs import (
    ModelInputs,
    SetClientCount,
    SetDevice,
    SetProfiles,
    SetRoute,
    SetService,
)
from model.policies import RESET, SHED, SUCCESS, TIMEOUT
from model.service import Service
from model.trace import Trace

ARRIVE, POLL, SEND, GO, ADMIT, DONE, CONTROL = range(7)
BOOT_SPAWN_FACTOR = 20  # a booting surge starts at 20x its size per second (experiments/timeline.py)
CAP_BURST_SECONDS = 0.1  # the load generator's attempt cap allows this much burst
SHED_BYTES = 200


class Simulation:
    def __init__(self, inputs: ModelInputs, seed: int | None = None):
        self.inputs = inputs
        self.rng = random.Random(inputs.seed if seed is None else seed)
        self.trace = Trace(math.ceil(inputs.end))
        self.devices: dict[str, Device] = {}
        for name, spec in inputs.devices.items():
            self._add_device(name, spec)
        self.services = {name: Service(spec, self.rng) for name, spec in inputs.services.items()}
        self.routes = dict(inputs.routes)
        spec = inputs.clients
        self.spec = spec
        self.profiles = spec.profiles
        self.calls = sorted(spec.calls, key=lambda call: call.name)
        self.cumulative = list(itertools.accumulate(call.weight for call in self.calls))
        self.firsts = first_call_per_target(spec.calls)
        self.heap: list = []
        self.sequence = itertools.count()
        self.now = 0.0
        self.running: list[Client] = []
        self.wanted = 0
        self.pending = 0
        self.numbers = itertools.count()
        self.version = 0
        self.fetch_on_start = False
        self.cap_next = 0.0
        self.cap_interval = 1.0 / spec.max_attempts_per_second
        self._plan()

    # -- the timeline ---------------------------------------------------------------------------
    def at(self, time: float, control: Callable[[], None]) -> None:
        self._push(time, CONTROL, control)

    def _plan(self) -> None:
        inputs, spec = self.inputs, self.spec
        self.at(0.0, lambda: self.set_count(spec.count, spec.spawn_rate))
        trigger = inputs.trigger
        if trigger is not None:
            surge = round(spec.count * trigger.surge_factor)
            boot = trigger.boot_fetch and trigger.surge_factor > 1
            rate = max(spec.spawn_rate, surge * BOOT_SPAWN_FACTOR) if boot else max(spec.spawn_rate, surge)

            def start() -> None:
                if boot:
                    self.fetch_on_start = True
                if spec.poll is not None and trigger.membership == spec.poll.service:
                    self.version += 1
                if trigger.surge_factor > 1:
                    self.set_count(surge, rate)

            self.at(trigger.at, start)
            if trigger.surge_factor > 1:
                self.at(trigger.at + trigger.duration, lambda: self.set_count(spec.count, rate))
        for action in inputs.actions:
            for effect in action.effects:
                self.at(action.at, lambda effect=effect: self.apply(effect))

    def apply(self, effect) -> None:
        if isinstance(effect, SetClientCount):
            self.set_count(effect.count, effect.spawn_rate)
        elif isinstance(effect, SetProfiles):
            self.profiles = effect.profiles
            for client in self.running:
                client.take(pick_profile(self.profiles, self.rng), self.rng)
                if not client.profile.reuse_connections:
                    self._drop_idle(client)
        elif isinstance(effect, SetRoute):
            self.routes[effect.target] = effect.route
        elif isinstance(effect, SetDevice):
            if effect.name in self.devices:
                self.devices[effect.name].reconfigure(effect.device, self.now)
            else:
                self._add_device(effect.name, effect.device)
        elif isinstance(effect, SetService):
            if effect.name in self.services:
                self.services[effect.name].reconfigure(effect.service)
            else:
                self.services[effect.name] = Service(effect.service, self.rng)

    def _add_device(self, name: str, spec) -> None:
        self.devices[name] = Device(spec, name)
        self.trace.track(f"setups:{name}")

    def set_count(self, count: int, rate: float) -> None:
        """Start or stop clients (the newest stop first, their requests with them)."""
        self.wanted = count
        while len(self.running) > count:
            client = self.running.pop()
            client.alive = False
            self._drop_idle(client)
        for index in range(count - len(self.running) - self.pending):
            self.pending += 1
            self.at(self.now + index / rate, self._start_client)

    def _start_client(self) -> None:
        self.pending -= 1
        if len(self.running) >= self.wanted:
            return
        rng, spec = self.rng, self.spec
        client = Client(next(self.numbers), pick_profile(self.profiles, rng), rng)
        self.running.append(client)
        rate = spec.requests_per_second
        gap = rng.expovariate(rate) if spec.process == "poisson" else rng.uniform(0, 1 / rate)
        self._push(self.now + gap, ARRIVE, client)
        if spec.poll is not None:
            self._push(self.now + rng.uniform(0, spec.poll.seconds), POLL, client)
        if self.fetch_on_start:
            for call in self.firsts:
                self.start_request(client, call, False)

    # -- the loop -------------------------------------------------------------------------------
    def run(self, until: float | None = None) -> Trace:
        until = self.inputs.end if until is None else min(until, self.inputs.end)
        heap, pop = self.heap, heapq.heappop
        while heap and heap[0][0] <= until:
            time, _, kind, subject, extra = pop(heap)
            self.now = time
            if kind == DONE:
                self._done(subject, extra)
            elif kind == SEND:
                self.send(subject)
            elif kind == ARRIVE:
                self._arrive(subject)
            elif kind == ADMIT:
                self._admit(subject, extra)
            elif kind == GO:
                self._go(subject)
            elif kind == POLL:
                if subject.alive:
                    self.start_request(subject, self.spec.poll.call, True)
            else:
                subject()
        self.now = until
        return self.trace

    def _push(self, time: float, kind: int, subject, extra=None) -> None:
        heapq.heappush(self.heap, (time, next(self.sequence), kind, subject, extra))

    def _arrive(self, client: Client) -> None:
        if not client.alive:
            return
        rng = self.rng
        index = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        self.start_request(client, self.calls[min(index, len(self.calls) - 1)], False)
        rate = self.spec.requests_per_second
        gap = rng.expovariate(rate) if self.spec.process == "poisson" else 1 / rate
        self._push(self.now + gap, ARRIVE, client)

    def start_request(self, client: Client, call, poll: bool) -> None:
        if not poll:
            if client.in_flight >= self.spec.max_in_flight:
                return  # dropped, as the load generator drops arrivals beyond its bound
            client.in_flight += 1
        self.trace.add("demand", self.now)
        self.send(Request(client, call, self.now, poll))

    def send(self, request: Request) -> None:
        """The policy's gate, then the load generator's attempt cap."""
        if not request.client.alive:
            return
        now = self.now
        if request.policy.admit(request.attempt, now) is not None:
            self._finish(request, False)
            return
        slot = max(self.cap_next, now - CAP_BURST_SECONDS)
        self.cap_next = slot + self.cap_interval
        if slot > now:
            self._push(slot, GO, request)
        else:
            self._go(request)

    def _go(self, request: Request) -> None:
        now = self.now
        remaining = request.deadline - now
        if remaining <= 0:
            self._finish(request, False)
            return
        profile, call, client, trace = request.profile, request.call, request.client, self.trace
        give_up = now + min(profile.attempt_timeout, remaining)
        trace.add("attempts", now)
        if request.attempt > 1:
            trace.add("retries", now)
        route = self.routes[call.target]
        device = self.devices.get(route.device) if route.device is not None else None
        if device is not None:
            if profile.reuse_connections and client.idle.get(call.target, 0) > 0:
                client.idle[call.target] -= 1
                request.pooled = True
            else:
                trace.add("setups", now)
                trace.add(device.setups_key, now)
                at, admitted = device.connect(now)
                if not admitted:
                    trace.add("turned_away", now)
                    if at <= give_up:
                        self._push(at, DONE, request, RESET)
                    else:
                        self._push(give_up, DONE, request, TIMEOUT)
                    return
                if at >= give_up:  # set up for a client that has left: wasted work
                    trace.add("wasted", at)
                    device.hold(at + CLOSE_SECONDS)
                    self._push(give_up, DONE, request, TIMEOUT)
                    return
                if profile.reuse_connections:
                    request.pooled = True
                    device.pooled += 1
                if at > now:
                    self._push(at, ADMIT, request, (give_up, device, route.service))
                    return
        self._admit(request, (give_up, device, route.service))

    def _admit(self, request: Request, where: tuple) -> None:
        give_up, device, service_name = where
        now, call = self.now, request.call
        ready = device.up.deliver(now, call.request_bytes, give_up) if device is not None else now
        service = self.services.get(service_name) if service_name is not None else None
        answered = True
        if service is not None:
            ready, answered = service.serve(ready)
        done = ready
        if device is not None and request.client.alive:
            done = device.down.deliver(ready, call.response_bytes if answered else SHED_BYTES, give_up)
        if done <= give_up:
            if device is not None and not request.pooled:
                device.hold(done)
            self._push(done, DONE, request, SUCCESS if answered else SHED)
        else:
            if device is not None and not request.pooled:
                device.hold(give_up)
            self._push(give_up, DONE, request, TIMEOUT)

    def _done(self, request: Request, outcome: str) -> None:
        client = request.client
        if not client.alive:
            return
        now = self.now
        request.policy.record(request.attempt, outcome, now)
        if request.pooled:
            request.pooled = False
            if outcome in (SUCCESS, SHED) and client.profile.reuse_connections:
                client.idle[request.call.target] = client.idle.get(request.call.target, 0) + 1
            else:
                self._close_pooled(request.call.target, 1)
        if outcome == SUCCESS:
            within = now <= request.deadline
            if within:
                self.trace.success(now, request.call.target)
            self._finish(request, within)
            return
        delay = request.policy.backoff(request.attempt, outcome, self.rng)
        if delay is None:
            self._finish(request, False)
            return
        if outcome == SHED and request.profile.respect_retry_after:
            delay = max(delay, self._retry_after(request))
        if now + delay >= request.deadline:
            self._finish(request, False)
            return
        request.attempt += 1
        if delay <= 0:
            self.send(request)
        else:
            self._push(now + delay, SEND, request)

    def _retry_after(self, request: Request) -> float:
        service = self.services.get(self.routes[request.call.target].service)
        return service.spec.retry_after if service is not None else 0.0

    def _finish(self, request: Request, ok: bool) -> None:
        client = request.client
        if not request.poll:
            client.in_flight -= 1
            return
        if ok:
            if client.seen is not None and client.seen != self.version:
                self._reconnect(client)
            client.seen = self.version
        self._push(self.now + self.spec.poll.seconds, POLL, client)

    def _reconnect(self, client: Client) -> None:
        """A new membership: drop the kept-alive connections, re-fetch from every target."""
        self._drop_idle(client)
        for call in self.firsts:
            self.start_request(client, call, False)

    def _drop_idle(self, client: Client) -> None:
        for target, count in client.idle.items():
            self._close_pooled(target, count)
        client.idle = {}

    def _close_pooled(self, target: str, count: int) -> None:
        route = self.routes.get(target)
        device = self.devices.get(route.device) if route is not None and route.device else None
        if device is not None:
            device.pooled = max(0, device.pooled - count)


def simulate(inputs: ModelInputs, seed: int | None = None) -> Trace:
    """Run ``inputs`` to its end; the per-second record."""
    return Simulation(inputs, seed).run()
