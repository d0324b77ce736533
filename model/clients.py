"""The simulated clients and their logical requests: plain records the event loop
(model/simulate.py) moves along, as loadgen/client.py and loadgen/logical_request.py do.

A client has a profile and one policy instance shared by all its requests (a budget or a
breaker is client-wide), kept-alive connections per target when its profile reuses them,
and the membership version its last successful poll saw. A request keeps the profile and
the policy view it started with, whatever changes meanwhile.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from model.inputs import Call, Profile
from model.policies import Policy, make_policy


class Client:
    __slots__ = ("alive", "idle", "in_flight", "number", "policy", "profile", "seen")

    def __init__(self, number: int, profile: Profile, rng: random.Random):
        self.number = number
        self.alive = True
        self.in_flight = 0
        self.idle: dict[str, int] = {}  # kept-alive connections per target, not in use
        self.seen: int | None = None  # the membership version last seen
        self.take(profile, rng)

    def take(self, profile: Profile, rng: random.Random) -> None:
        """A profile and a fresh policy (a new client, or every client at a switch)."""
        self.profile = profile
        self.policy: Policy = make_policy(profile.policy, rng)


class Request:
    __slots__ = ("attempt", "call", "client", "deadline", "policy", "poll", "pooled", "profile")

    def __init__(self, client: Client, call: Call, now: float, poll: bool):
        self.client = client
        self.call = call
        self.profile = client.profile
        self.policy = client.policy.for_request()
        self.deadline = now + self.profile.deadline
        self.attempt = 1
        self.poll = poll
        self.pooled = False  # its attempt in flight holds a kept-alive connection


def pick_profile(profiles: Sequence[Profile], rng: random.Random) -> Profile:
    ordered = list(profiles)
    return rng.choices(ordered, [p.weight for p in ordered])[0] if len(ordered) > 1 else ordered[0]


def first_call_per_target(calls: Sequence[Call]) -> list[Call]:
    """One call to each target the mix uses, by call name (what a client re-fetches)."""
    firsts: dict[str, Call] = {}
    for call in sorted(calls, key=lambda c: c.name):
        firsts.setdefault(call.target, call)
    return list(firsts.values())
