"""Settings written once: a frozen dataclass is the definition, and its JSON Schema, its
defaults and its Python types all come from it.

    @dataclass(frozen=True)
    class Capacity:
        workers: Annotated[int, Meta(ge=1, le=100000)] = 8
        queue_limit: Annotated[int, Meta(ge=0, description="requests that may wait")] = 256

    schema_of(Capacity)        # the JSON Schema: validation, OpenAPI documents, test strategies
    patch_schema_of(Capacity)  # what a JSON merge patch of one may hold (null: back to the default)
    parse(Capacity, data)      # a Capacity, or ConfigError naming every problem by its path
    dump(capacity)             # back to plain JSON-able data, the shape the schema describes

Validation is jsonschema's, with the wording of stormlab_common.config, so a problem reads
the same wherever it is found (a file at start, a PATCH body, the offline scenario check).
What a schema cannot say (relations between keys) a class states in a ``check(self)``
method returning ``[(relative path, message), ...]``; ``parse`` runs every one, nested ones
included, and reports them with full paths.

Supported annotations: bool, int, float, str, Any, ``Literal[...]``, ``X | None``,
``list[X]``, ``tuple[X, ...]``, ``dict[str | Name, X]``, a bare ``dict`` (any mapping),
nested dataclasses, and tagged unions: ``Annotated[A | B, Tagged("name")]`` where each
variant has a ``name: Literal["a"]`` field. ``Annotated[..., Meta(...)]`` adds constraints
and a description; ``Meta(schema=...)`` gives a field a schema of its own (its value is kept
as plain data). A field whose key cannot be its name (a Python keyword such as ``with``) says
its key: ``field(metadata={KEY: "with"})`` (stormlab_common/fields.py).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

from stormlab_common.config import (
    ConfigError,
    dotted,
    invalid_paths,
    merge_patch,
    merged_layers,
    validation_problems,
)
from stormlab_common.fields import Meta, Name, Tagged, hints_of, key_of, unwrap, variants
from stormlab_common.schema import dump, patch_schema_of, schema_of

__all__ = ["Meta", "Name", "Problem", "Tagged", "build", "check_problems", "defaults", "dump", "field_names",
           "load", "parse", "patch_schema_of", "patched", "problems_of", "schema_of"]

Problem = tuple[tuple, str]  # (path relative to the object checked, what is wrong)


def parse(cls: type, data: Any, source: str = "configuration", prefix: tuple = ()) -> Any:
    """An instance of ``cls`` from plain data (a YAML file's, a JSON body's), defaults filled.
    Raises ConfigError with every problem, each ``path: what is wrong``; ``prefix`` is where
    the data sits in a larger document, for those paths."""
    prefix = tuple(prefix)
    # NaN passes every bound a schema sets, and YAML (.nan, .inf) and Python's json read them
    problems = _non_finite(data, prefix) + validation_problems(schema_of(cls), data, prefix)
    if problems:
        # every problem at once: the rules of the parts that are well formed too
        bad = invalid_paths(schema_of(cls), data)
        raise ConfigError(problems + _checks_of_valid_parts(cls, data, (), bad, prefix), source)
    instance = build(cls, data)
    problems = check_problems(instance, prefix)
    if problems:
        raise ConfigError(problems, source)
    return instance


def load(cls: type, *, env_prefix: str, file=None, env=None, overrides=None) -> Any:
    """A component's settings from its layers: the YAML file < ``<env_prefix>*`` environment
    variables < ``--set key.path=value`` overrides (stormlab_common/config.py)."""
    return parse(cls, merged_layers(env_prefix=env_prefix, file=file, env=env, overrides=overrides))


def patched(cls: type, current: Any, patch: Any, source: str = "change", prefix: tuple = ()) -> Any:
    """What a JSON merge patch (RFC 7386: mappings merge, null removes a key, so it takes its
    default again) makes of ``current``, checked in full; ``current`` is left as it was."""
    if not isinstance(patch, Mapping):
        kind = "an array" if isinstance(patch, list) else repr(patch)
        raise ConfigError([f"{dotted(prefix)}: expected a JSON object (a merge patch), got {kind}"], source)
    return parse(cls, merge_patch(dump(current), patch), source, prefix)


def _checks_of_valid_parts(hint: Any, value: Any, here: tuple, bad: list[tuple], prefix: tuple) -> list[str]:
    """The ``check`` problems of every largest part of ``value`` that the schema found no fault
    in (a faulty part cannot be built, so its own rules wait until it is mended)."""
    hint, metas, tagged = unwrap(hint)
    if any(m.schema is not None for m in metas):
        return []
    if not any(path[: len(here)] == here for path in bad):
        try:
            return check_problems(_build_value(hint, value), (*prefix, *here))
        except Exception:  # too broken to build: its schema problems say so already
            return []
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if tagged is not None and isinstance(value, Mapping):
        tag = value.get(tagged.field)
        variant = variants(hint, tagged.field).get(tag) if isinstance(tag, str) else None
        return [] if variant is None else _checks_of_valid_parts(variant, value, here, bad, prefix)
    if origin in (typing.Union, types.UnionType):
        return _checks_of_valid_parts(next(a for a in args if a is not type(None)), value, here, bad, prefix)
    if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        hints = hints_of(hint)
        return [problem for field in dataclasses.fields(hint) if field.init and key_of(field) in value
                for problem in _checks_of_valid_parts(hints[field.name], value[key_of(field)],
                                                      (*here, key_of(field)), bad, prefix)]
    if origin in (dict, Mapping) and isinstance(value, Mapping):
        return [problem for key, item in value.items()
                for problem in _checks_of_valid_parts(args[1], item, (*here, key), bad, prefix)]
    if origin in (list, tuple) and isinstance(value, list):
        return [problem for index, item in enumerate(value)
                for problem in _checks_of_valid_parts(args[0], item, (*here, index), bad, prefix)]
    return []


def _non_finite(value: Any, path: tuple) -> list[str]:
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{dotted(path)}: expected a finite number, got {value!r}"]
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in _non_finite(item, (*path, key))]
    if isinstance(value, list | tuple):
        return [p for index, item in enumerate(value) for p in _non_finite(item, (*path, index))]
    return []


def problems_of(cls: type, data: Any, prefix: tuple = ()) -> list[str]:
    """Every problem ``parse`` would raise, as a list (empty: ``data`` is a valid ``cls``)."""
    try:
        parse(cls, data, prefix=prefix)
    except ConfigError as exc:
        return list(exc.problems)
    return []


def build(cls: type, data: Mapping[str, Any]) -> Any:
    """An instance from schema-valid data (``parse`` validates first; call this directly only
    on data already checked)."""
    hints = hints_of(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if field.init and key_of(field) in data:
            values[field.name] = _build_value(hints[field.name], data[key_of(field)])
    return cls(**values)


def _build_value(hint: Any, value: Any) -> Any:
    hint, metas, tagged = unwrap(hint)
    if value is None or any(m.schema is not None for m in metas):
        return copy.deepcopy(value)
    if tagged is not None:
        return build(variants(hint, tagged.field)[value[tagged.field]], value)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is float:
        return float(value)
    if hint is int and isinstance(value, float):
        return int(value)  # JSON Schema counts 65536.0 (or 1e3) as an integer: so does the object
    if origin in (typing.Union, types.UnionType):
        return _build_value(next(a for a in args if a is not type(None)), value)
    if origin is list:
        return [_build_value(args[0], item) for item in value]
    if origin is tuple:
        return tuple(_build_value(args[0], item) for item in value)
    if origin in (dict, Mapping):
        return {key: _build_value(args[1], item) for key, item in value.items()}
    if dataclasses.is_dataclass(hint):
        return build(hint, value)
    return copy.deepcopy(value)


def check_problems(instance: Any, prefix: tuple = ()) -> list[str]:
    """The problems every ``check`` method in ``instance``'s tree reports, with full paths."""
    problems: list[str] = []
    if dataclasses.is_dataclass(instance) and not isinstance(instance, type):
        for field in dataclasses.fields(instance):
            problems += check_problems(getattr(instance, field.name), (*prefix, key_of(field)))
        check = getattr(instance, "check", None)
        if callable(check):
            problems += [f"{dotted((*prefix, *path))}: {message}" for path, message in check()]
    elif isinstance(instance, Mapping):
        for key, value in instance.items():
            problems += check_problems(value, (*prefix, key))
    elif isinstance(instance, list | tuple):
        for index, value in enumerate(instance):
            problems += check_problems(value, (*prefix, index))
    return problems


def defaults(cls: type) -> dict[str, Any]:
    """What ``cls()`` holds, as plain data: every setting at its default."""
    return dump(cls())


def field_names(cls: type) -> list[str]:
    return [key_of(f) for f in dataclasses.fields(cls) if f.init]
