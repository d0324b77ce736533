"""Where the load generator's settings come from: its YAML file < ``STORMLAB_LOADGEN_*`` <
``--set`` (stormlab_common/config.py). What they are, and what a live change may do to
them, is the contract: stormlab_common/contracts/loadgen.py and loadgen_patch.py.
"""

from __future__ import annotations

from stormlab_common.config import merged_layers
from stormlab_common.contracts.loadgen import LoadgenConfig, parse_config

ENV_PREFIX = "STORMLAB_LOADGEN_"


def load_base(file=None, env=None, overrides=None) -> dict:
    """The layers merged, not yet checked nor completed with defaults: the base a live patch
    is merged into (loadgen/live_config.py)."""
    return merged_layers(env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides)


def load_loadgen_config(file=None, env=None, overrides=None) -> LoadgenConfig:
    return parse_config(load_base(file, env, overrides))


