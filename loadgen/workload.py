"""The request mix: which call each logical request makes, with its path and body."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping

from loadgen.transport import encode_body
from stormlab_common.contracts.loadgen import Call


class Workload:
    def __init__(self, calls: Mapping[str, Call]):
        self.calls = dict(calls)
        self._names = sorted(calls)  # a seed picks the same calls whatever order the config gave
        # cumulative, once: choices() would add the weights up again on every arrival (the same
        # draw from the same random stream either way)
        self._cum_weights = list(itertools.accumulate(calls[name].weight for name in self._names))
        self._bodies = {name: encode_body(call.body_bytes, call.body_json) for name, call in calls.items()}

    def pick(self, rng: random.Random) -> str:
        """The name of the next logical request's call."""
        return rng.choices(self._names, cum_weights=self._cum_weights)[0]

    def request(self, name: str, rng: random.Random) -> tuple[str, bytes | None]:
        """The call's path ({n}, or {n:05d} and the like: a key drawn from [0, keys)) and body."""
        call = self.calls[name]
        path = call.path.format(n=rng.randrange(call.keys)) if "{n" in call.path else call.path
        return path, self._bodies[name]

    def first_call_per_target(self) -> dict[str, str]:
        """The name of one call to each target the mix uses (what a client re-fetches on
        reconnecting)."""
        firsts: dict[str, str] = {}
        for name in self._names:
            firsts.setdefault(self.calls[name].target, name)
        return firsts
