"""How the proxy reads the numbers of its config file and of every admin API body, before the
contract (stormlab_common/contracts/proxy.py) parses them. The proxy applies these to what it
receives; an offline check applies them to what would be sent, so both word a value alike
(``got 5``, not ``got 5.0``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from stormlab_common.config import dotted


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
