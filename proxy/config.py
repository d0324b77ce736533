"""The proxy's config at start: the file, then STORMLAB_PROXY_* environment variables, then
``--set key.path=value``, parsed with the contract (stormlab_common/contracts/proxy.py) that
every live change through the admin API is parsed with too, so both report bad input alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stormlab_common.config import ConfigError, merged_layers, validation_problems
from stormlab_common.contracts.proxy import ProxyConfig
from stormlab_common.contracts.proxy_numbers import non_finite, whole_numbers
from stormlab_common.model import parse, schema_of

ENV_PREFIX = "STORMLAB_PROXY_"


def load_proxy_config(file=None, env=None, overrides=None) -> ProxyConfig:
    return config_from_dict(merged_layers(env_prefix=ENV_PREFIX, file=file, env=env, overrides=overrides))


def config_from_dict(data: Mapping[str, Any]) -> ProxyConfig:
    """The config from plain data, as if read from a file (for tests and embedding)."""
    data = whole_numbers(data)
    problems = non_finite(data)
    if problems:
        raise ConfigError(problems)
    return parsed(ProxyConfig, data)


def parsed(cls: type, data: Any, source: str = "configuration") -> Any:
    """``stormlab_common.model.parse``, safe from input it stumbles on: a fault whose ``type``
    is no string (a mapping, a list) makes its search for the checks of well-formed parts
    raise TypeError; such data is refused with what the schema says of it."""
    try:
        return parse(cls, data, source)
    except TypeError:
        problems = validation_problems(schema_of(cls), data)
        if not problems:
            raise
        raise ConfigError(problems, source) from None
