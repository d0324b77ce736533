"""Checks of the arguments the activities share, each refusal saying what is expected."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chaoslib.exceptions import ActivityFailed


def name(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise ActivityFailed(f"{what}: expected a name (a non-empty string), got {value!r}")


def definition_file(path: Path) -> dict:
    import yaml  # chaostoolkit-lib's own dependency

    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ActivityFailed(f"definition: cannot read the proxy config {path}: {exc}") from None
    if not isinstance(loaded, Mapping):
        raise ActivityFailed(f"definition: {path} holds no mapping of devices and links")
    return dict(loaded)
