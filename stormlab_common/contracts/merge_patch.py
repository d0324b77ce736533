"""The JSON Schema of exactly what an RFC 7386 merge patch of a settings dataclass may hold,
when the patch is merged into a document the component already has (its base config).

``stormlab_common.schema.patch_schema_of`` gives each entry of a mapping, and each variant of
a tagged union, whole: right where a patch replaces them, stricter than a merge patch, where
``{"clients": {"sdk": {"weight": 2}}}`` merges into the existing entry and a policy's
parameters merge under the name the base already gives. This schema is the merge patch's:

- every key optional, at every depth, entries of mappings included (they merge too);
- ``null`` wherever removing the key leaves something valid: a key with a default, an entry
  of a mapping; never a required key, nor a union's tag;
- a tagged union: the parameters of any one variant, its tag optional (the base may give
  it), the other variants' keys only as ``null``;
- no ``minProperties`` on a mapping (``{}`` changes nothing).

What it cannot know is the base: a patch it accepts may still make, with a given base, a
config that breaks a rule (a new profile without a policy, an unknown target). The component
reports those as a conflict with its state, the schema's refusals as malformed requests.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from functools import cache
from typing import Any

from stormlab_common.fields import has_default, hints_of, key_of, unwrap, variants
from stormlab_common.model import schema_of

_NULL = {"type": "null"}


@cache
def merge_patch_schema(cls: type) -> dict[str, Any]:
    """The schema of a merge patch of ``cls`` (cached: treat it as read-only)."""
    return _object(cls)


def _object(cls: type, tag: str | None = None, nullable_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    hints = hints_of(cls)
    whole = schema_of(cls)
    properties = {}
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        schema = _value(hints[field.name], whole["properties"][key_of(field)])
        if field.name == tag:
            schema = {key: value for key, value in schema.items() if key != "default"}
        elif has_default(field):
            schema = _or_null(schema)
        properties[key_of(field)] = schema
    for key in nullable_keys:
        properties.setdefault(key, _NULL)
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    if "description" in whole:
        schema["description"] = whole["description"]
    return schema


def _value(hint: Any, whole: dict[str, Any]) -> dict[str, Any]:
    """The patch schema of a value whose own schema is ``whole``."""
    bare, metas, tagged = unwrap(hint)
    own = {key: value for key, value in whole.items() if key not in ("default", "minProperties")}
    if any(meta.schema is not None for meta in metas):
        return own  # plain data: merged as it is given
    if tagged is not None:
        return _tagged(bare, tagged.field, own.get("description"))
    origin, args = typing.get_origin(bare), typing.get_args(bare)
    if origin in (typing.Union, types.UnionType):  # X | None, null being its default
        inner = next(arg for arg in args if arg is not type(None))
        inner_bare, _, inner_tagged = unwrap(inner)
        if inner_tagged is None and not dataclasses.is_dataclass(inner_bare):
            return own  # a scalar or null
        inner_whole = next(option for option in whole.get("anyOf", [own]) if option != _NULL)
        schema = _or_null(_value(inner, inner_whole))
        return {**schema, "description": own["description"]} if "description" in own else schema
    if origin in (dict, typing.Mapping) and dataclasses.is_dataclass(unwrap(args[1])[0]):
        entries = _or_null(_value(args[1], whole["additionalProperties"]))
        return {**own, "additionalProperties": entries}
    if dataclasses.is_dataclass(bare):
        return _object(bare)
    return own  # a scalar, a list, a mapping of plain values: replaced whole


def _tagged(hint: Any, tag: str, description: str | None) -> dict[str, Any]:
    options = variants(hint, tag)
    keys = sorted({key_of(f) for cls in options.values() for f in dataclasses.fields(cls) if f.init})
    branches = []
    for cls in options.values():
        branch = _object(cls, tag=tag, nullable_keys=tuple(keys))
        # the outer schema refuses unknown keys: a branch failing over one would only repeat it
        branches.append({"properties": branch["properties"]})
    schema = {"type": "object", "additionalProperties": False, "properties": {key: {} for key in keys},
              "anyOf": branches}
    if description:
        schema["description"] = description
    return schema


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    if schema == {} or _NULL in schema.get("anyOf", ()):
        return schema
    kind = schema.get("type")
    if isinstance(kind, str) and not {"enum", "anyOf", "oneOf"} & schema.keys():
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    if "enum" in schema and not {"anyOf", "oneOf"} & schema.keys():
        return schema if None in schema["enum"] else {**schema, "enum": [*schema["enum"], None]}
    return {"anyOf": [copy.deepcopy(schema), _NULL]}
