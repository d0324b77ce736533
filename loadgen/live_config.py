"""The load generator's config while it runs: the base it loaded at start, the patch an
experiment runner put over it (an RFC 7386 JSON merge patch), and a generation counting the
changes.

Each change replaces the patch whole, so the same change sent twice gives the same config and
``{}`` gives the base back. A patch is checked as fully as the config file (the same schema,
the same cross-checks); a few keys are read once at start, and a patch may not change them,
since the change would silently not apply.
"""

from __future__ import annotations

import copy

from loadgen.config import SCHEMA, LoadgenConfig, build_config
from stormlab_common.config import ConfigError, merge_patch, validate

SOURCE = "configuration patch"
FIXED_KEYS = {
    "metrics_port": "the metrics server is bound at start",
    "shape": "locust picks its load shape at start",
    "membership": "each client starts its membership watch with it",
}


class LiveConfig:
    def __init__(self, base: dict):
        """``base``: schema-valid, defaults filled (loadgen.config.load_raw_config)."""
        self.base = base
        self.patch: dict = {}
        self.generation = 0
        self.raw = base  # the effective config: the base with the patch, defaults filled
        self.config = build_config(base)

    def check(self, patch) -> tuple[dict, LoadgenConfig]:
        """The raw and typed config ``patch`` makes of the base; ConfigError names every problem."""
        if not isinstance(patch, dict):
            raise ConfigError([f"(top level): expected a JSON object (a merge patch), got {_kind(patch)}"],
                              SOURCE)
        raw = validate(SCHEMA, merge_patch(self.base, patch), SOURCE)
        fixed = [f"{key}: cannot change while locust runs ({why}); restart locust with it in its config"
                 for key, why in FIXED_KEYS.items() if raw[key] != self.base[key]]
        if fixed:
            raise ConfigError(fixed, SOURCE)
        try:
            return raw, build_config(raw)
        except ConfigError as exc:
            raise ConfigError(exc.problems, SOURCE) from None

    def replace(self, patch) -> LoadgenConfig:
        """The master's change: the next generation (nothing changes if the patch is bad)."""
        return self.adopt(self.generation + 1, patch)

    def adopt(self, generation: int, patch) -> LoadgenConfig:
        """A worker's copy of the master's change, under the master's generation number."""
        self.raw, self.config = self.check(patch)
        self.patch, self.generation = copy.deepcopy(patch), generation
        return self.config

    def message(self) -> dict:
        """What the master sends its workers: enough for each to rebuild the same config."""
        return {"generation": self.generation, "patch": self.patch}


def _kind(value) -> str:
    kinds = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")
