"""The JSON Schema of a settings dataclass, and of a JSON merge patch of one (see
stormlab_common/model.py for the whole pattern)."""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from stormlab_common.fields import default_of, has_default, hints_of, key_of, own_doc, unwrap, variants

_COMBINATORS = {"oneOf", "anyOf", "allOf", "not", "if", "$ref"}


@cache
def schema_of(cls: type) -> dict[str, Any]:
    """The JSON Schema (2020-12, as OpenAPI 3.1 takes it) of a dataclass. Cached: treat it as
    read-only (``copy.deepcopy`` before changing it)."""
    return _object_schema(cls, patch=False)


@cache
def patch_schema_of(cls: type) -> dict[str, Any]:
    """The schema of a JSON merge patch (RFC 7386) of ``cls``: every key optional, nested
    objects patches too; ``null`` allowed where a key has a default to fall back to."""
    return _object_schema(cls, patch=True)


def _object_schema(cls: type, patch: bool) -> dict[str, Any]:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = hints_of(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        defaulted = has_default(field)
        schema = _schema(hints[field.name], patch)
        if defaulted and not patch:
            schema = {**schema, "default": dump(default_of(field))}
        if patch and defaulted:
            schema = _nullable(schema)
        properties[key_of(field)] = schema
        if not defaulted and not patch:
            required.append(key_of(field))
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    doc = own_doc(cls)
    if doc:
        schema["description"] = doc
    return schema


def _schema(hint: Any, patch: bool) -> dict[str, Any]:
    hint, metas, tagged = unwrap(hint)
    own = next((m.schema for m in metas if m.schema is not None), None)
    if own is not None:
        schema = copy.deepcopy(own)
    elif tagged is not None:
        schema = _tagged_schema(hint, tagged.field)
    else:
        schema = _plain_schema(hint, patch)
    for meta in metas:
        schema.update(meta.keywords)
    return schema


def _plain_schema(hint: Any, patch: bool) -> dict[str, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return {}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if hint is str:
        return {"type": "string"}
    if hint is dict or hint is Mapping:
        return {"type": "object"}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) != 1 or len(args) != 2:
            raise TypeError(f"unions other than `X | None` need Tagged(...): {hint!r}")
        return _nullable(_schema(options[0], patch))
    if origin in (list, tuple):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            raise TypeError(f"only tuple[X, ...] is supported, got {hint!r}")
        return {"type": "array", "items": _schema(args[0], False)}
    if origin in (dict, Mapping):
        key, value = args
        schema: dict[str, Any] = {"type": "object"}
        key_schema = _schema(key, False)
        if key_schema != {"type": "string"}:
            schema["propertyNames"] = {k: v for k, v in key_schema.items() if k != "type"}
        if value is not Any:
            # an entry of a patched mapping is given whole (or null, to remove it)
            entry = _schema(value, False)
            schema["additionalProperties"] = _nullable(entry) if patch else entry
        return schema
    if dataclasses.is_dataclass(hint):
        return copy.deepcopy(patch_schema_of(hint) if patch else schema_of(hint))
    raise TypeError(f"unsupported annotation {hint!r}")


def _tagged_schema(hint: Any, tag: str) -> dict[str, Any]:
    return {"type": "object", "required": [tag],
            "oneOf": [copy.deepcopy(schema_of(cls)) for cls in variants(hint, tag).values()],
            "discriminator": {"propertyName": tag}}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null. A type list where the schema has a type (its other keywords only
    apply to their own types, so null passes them), else anyOf."""
    schema = dict(schema)
    kind = schema.get("type")
    if _COMBINATORS & schema.keys():
        return {"anyOf": [schema, {"type": "null"}]}  # a combinator would apply to null too
    if isinstance(kind, str) and "enum" not in schema:
        schema["type"] = [kind, "null"]
        return schema
    if isinstance(kind, list):
        if "null" not in kind:
            schema["type"] = [*kind, "null"]
        return schema
    if "enum" in schema:
        if None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if not schema:
        return schema  # anything: null included
    return {"anyOf": [schema, {"type": "null"}]}



def dump(value: Any) -> Any:
    """Plain data (dicts, lists, numbers, strings, None) from an instance, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key_of(f): dump(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, Mapping):
        return {key: dump(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    return copy.deepcopy(value)
