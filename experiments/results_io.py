"""Reading and writing a run's result files, atomically.

A run can be interrupted at any moment (Ctrl-C, a container dying, the runner's deadline).
Every file here is therefore written whole or not at all: the content is produced in memory
first (so a serialising error never touches the disk), written to a temporary file in the
same directory, fsynced, then moved over the old name with ``os.replace``, which is atomic
on the same filesystem. A reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Series = dict[str, list[tuple[float, float]]]

SERIES_HEADER = ["series", "seconds", "value"]


class RunFileError(ValueError):
    """A run's result file is missing or unreadable; the message says which and why."""


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open with mode 0o666 lets the umask decide, as for any file a person writes;
    # tempfile.mkstemp would make reports readable by their owner only.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable after a power cut; not every platform allows it.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _json_safe(value: Any) -> Any:
    # JSON has no NaN or infinity (Python would write the non-standard token `NaN`, which
    # jq, browsers and other tools reject); the run format says "number or null", so a value
    # that could not be computed is written as null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    """Raises TypeError for a value JSON cannot hold, before the old file is touched."""
    text = json.dumps(_json_safe(data), indent=2, ensure_ascii=False, allow_nan=False)
    write_text_atomic(path, text + "\n")


def write_series_csv(path: str | os.PathLike, series: Mapping[str, list[tuple[float, float]]]) -> None:
    """The long format ``series,seconds,value``; NaN is written as ``nan`` and reads back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SERIES_HEADER)
    for name in sorted(series):
        for seconds, value in sorted(series[name], key=lambda sample: sample[0]):
            # repr() is the shortest text that parses back to the same float.
            writer.writerow([name, repr(float(seconds)), repr(float(value))])
    write_text_atomic(path, buffer.getvalue())


def read_series_csv(path: str | os.PathLike) -> Series:
    """name -> [(seconds, value)] sorted by seconds. Raises RunFileError naming the bad line."""
    path = Path(path)
    series: Series = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header != SERIES_HEADER:
                raise RunFileError(f"{path}: expected the header {','.join(SERIES_HEADER)}, got {header}")
            for row in rows:
                if not row:
                    continue
                try:
                    name, seconds, value = row
                    sample = (float(seconds), float(value))
                except ValueError:
                    raise RunFileError(f"{path}, line {rows.line_num}: expected name,seconds,value, "
                                       f"got {row}") from None
                series.setdefault(name, []).append(sample)
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for samples in series.values():
        samples.sort(key=lambda sample: sample[0])  # stable: equal times keep file order
    return series


def read_json_object(path: str | os.PathLike, missing: str | None = None) -> dict:
    """The JSON object in ``path``. Raises RunFileError if it is missing (``missing`` says so
    in the caller's words), unreadable, not valid JSON, or not an object."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunFileError(missing or f"no file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFileError(f"cannot read {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunFileError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RunFileError(f"{path} should hold a JSON object, found {type(data).__name__}")
    return data
