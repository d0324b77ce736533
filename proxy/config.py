"""The proxy's config at start: the file, then STORMLAB_PROXY_* environment variables, then
``--set key.path=value``, parsed with the contract (stormlab_common/contracts/proxy.py) that
every live change through the admin API is parsed with too, so both report bad input alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from stormlab_common.config import ConfigError, dotted, merged_layers, validation_problems
from stormlab_common.contracts.proxy import ProxyConfig
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


def whole_numbers(value: Any) -> Any:
    """``value`` with every integral float as an int. JSON and YAML both let ``65536.0`` or
    ``1e3`` stand where a schema wants an integer (JSON Schema counts it as one), and the
    proxy must then hold an int: a chunk size is a slice bound, a status goes in a header.
    (Beyond 2**53 a float is no exact integer: it stays, for the schema's bounds to refuse.)"""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, Mapping):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return value


def non_finite(value: Any, path: tuple = ()) -> list[str]:
    """Where ``value`` holds NaN or an infinity (YAML's .nan, .inf): no limit means one, and a
    schema's bounds cannot catch NaN (every comparison with it is false)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{dotted(path)}: expected a finite number, got {value!r}"]
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in non_finite(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in non_finite(item, (*path, index))]
    return []
