"""The load generator's config while it runs: the base it loaded at start, the patch an
experiment runner put over it (an RFC 7386 JSON merge patch), and a generation counting the
changes.

Each change replaces the patch whole, so the same change sent twice gives the same config and
``{}`` gives the base back. A patch is checked as fully as the config file, by the contract's
rules (stormlab_common/contracts/loadgen_patch.py), which also refuse a change to the few keys
read once at start. A worker that reaches the device at a host of its own (loadgen/device_host.py)
runs every config, base and patched, with its targets at that host.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from loadgen.device_host import on_device
from stormlab_common.config import ConfigError
from stormlab_common.contracts.loadgen import LoadgenConfig, parse_config
from stormlab_common.contracts.loadgen_patch import patch_is_well_formed, patched_config
from stormlab_common.model import dump

SOURCE = "configuration patch"


class PatchRefused(ConfigError):
    """A refused patch; ``malformed``: the patch itself does not fit the patch schema (else it
    is well formed, and conflicts with the base)."""

    def __init__(self, problems: list[str], malformed: bool):
        super().__init__(problems, SOURCE)
        self.malformed = malformed


class LiveConfig:
    def __init__(self, base: Mapping, device_host: str | None = None):
        """``base``: the config data as loaded (loadgen.config.load_base); ConfigError if bad.
        ``device_host``: the host this process reaches every target at (None: as configured)."""
        self.base = copy.deepcopy(dict(base))
        self._device_host = device_host
        self.base_config = on_device(parse_config(self.base), device_host)
        self.patch: dict = {}
        self.generation = 0
        self.config = self.base_config  # the effective config: the base with the patch

    @property
    def raw(self) -> dict:
        """The effective config as plain data, every default filled in (what GET answers)."""
        return dump(self.config)

    def check(self, patch) -> LoadgenConfig:
        """The config ``patch`` makes of the base; PatchRefused names every problem."""
        try:
            config = patched_config(self.base, patch, SOURCE)
        except ConfigError as exc:
            raise PatchRefused(exc.problems, malformed=not patch_is_well_formed(patch)) from None
        return on_device(config, self._device_host)

    def replace(self, patch) -> LoadgenConfig:
        """The master's change: the next generation (nothing changes if the patch is bad)."""
        return self.adopt(self.generation + 1, patch)

    def adopt(self, generation: int, patch) -> LoadgenConfig:
        """A worker's copy of the master's change, under the master's generation number."""
        self.config = self.check(patch)
        self.patch, self.generation = copy.deepcopy(patch), generation
        return self.config

    def message(self) -> dict:
        """What the master sends its workers: enough for each to rebuild the same config."""
        return {"generation": self.generation, "patch": self.patch}
