"""The request mix: which call each logical request makes, with its path and body."""

from __future__ import annotations

import random

from loadgen.config import Call
from loadgen.transport import encode_body


class Workload:
    def __init__(self, calls: tuple[Call, ...]):
        self.calls = calls
        self._weights = [call.weight for call in calls]
        self._bodies = {call.name: encode_body(call.body_bytes, call.body_json) for call in calls}

    def pick(self, rng: random.Random) -> Call:
        return rng.choices(self.calls, self._weights)[0]

    def request(self, call: Call, rng: random.Random) -> tuple[str, bytes | None]:
        """The call's path ({n}, or {n:05d} and the like: a key drawn from [0, keys)) and body."""
        path = call.path.format(n=rng.randrange(call.keys)) if "{n" in call.path else call.path
        return path, self._bodies[call.name]

    def first_call_per_target(self) -> dict[str, Call]:
        """One call to each target the mix uses (what a client re-fetches on reconnecting)."""
        firsts: dict[str, Call] = {}
        for call in self.calls:
            firsts.setdefault(call.target, call)
        return firsts
