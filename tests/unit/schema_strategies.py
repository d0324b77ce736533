"""Hypothesis strategies for the JSON Schema our models produce (stormlab_common/schema.py):
``values(schema)`` draws instances it accepts, ``bad_values(schema)`` instances it refuses,
each a valid one with one mistake a person makes (a wrong type, a value out of range, an
unknown key, a bad name, a bad tag). hypothesis-jsonschema 0.23.1 fails with the installed
hypothesis ("'many' object has no attribute 'more'"), and our subset is small:

types (one or a list), enum, const, number and length bounds, pattern, objects (properties,
required, additionalProperties false or a schema, propertyNames, minProperties), arrays
(items, maxItems), anyOf (nullable), and oneOf with a discriminator (tagged unions).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import jsonschema
from hypothesis import assume
from hypothesis import strategies as st

MAX_ENTRIES = 2  # entries of a mapping or list: enough to mix good and bad, small enough to read
_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ ", max_size=8)
_SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | _WORDS


def values(schema: dict[str, Any]) -> st.SearchStrategy:
    """Instances ``schema`` accepts."""
    key = id(schema)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = (schema, _values(schema))  # the schema kept, so its id stays its own
    return _STRATEGIES[key][1]


def valid(schema: dict[str, Any], value: Any) -> bool:
    key = id(schema)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = (schema, jsonschema.Draft202012Validator(schema))
    return _VALIDATORS[key][1].is_valid(value)


_STRATEGIES: dict[int, tuple[dict, st.SearchStrategy]] = {}
_VALIDATORS: dict[int, tuple[dict, jsonschema.protocols.Validator]] = {}


def _values(schema: dict[str, Any]) -> st.SearchStrategy:
    if "discriminator" in schema:  # a tagged union: each variant, its tag given
        tag = schema["discriminator"]["propertyName"]
        return st.one_of([values({**variant, "required": [*variant.get("required", ()), tag]})
                          for variant in schema["oneOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return st.one_of([values(option) for option in schema[combinator]])
    kinds = schema.get("type")
    if kinds is None:
        return _objects(schema) if "properties" in schema else _SCALARS
    if isinstance(kinds, list):
        return st.one_of([values({**schema, "type": kind}) for kind in kinds])
    return _BY_TYPE[kinds](schema)


def _numbers(schema: dict[str, Any], integer: bool) -> st.SearchStrategy:
    low, above = schema.get("minimum"), schema.get("exclusiveMinimum")
    high, below = schema.get("maximum"), schema.get("exclusiveMaximum")
    least = low if low is not None else above if above is not None else -1e6
    most = high if high is not None else below if below is not None else max(least, 0) + 1e6
    first = math.ceil(least) if above is None else math.floor(above) + 1
    last = math.floor(most) if below is None else math.ceil(below) - 1
    whole = st.integers(first, last) if first <= last else st.nothing()
    if integer:
        return whole
    return whole | st.floats(least, most, exclude_min=above is not None and low is None,
                             exclude_max=below is not None and high is None, allow_nan=False,
                             allow_infinity=False, allow_subnormal=False)


def _strings(schema: dict[str, Any]) -> st.SearchStrategy:
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: len(s) <= 70)
    low = schema.get("minLength", 0)
    return st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=low, max_size=schema.get("maxLength", low + 8))


def _objects(schema: dict[str, Any]) -> st.SearchStrategy:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fixed = {key: values(sub) for key, sub in properties.items() if key in required}
    optional = {key: values(sub) for key, sub in properties.items() if key not in required}
    base = st.fixed_dictionaries(fixed, optional=optional)
    extra = schema.get("additionalProperties", {})
    if properties or extra is False:
        return base
    keys = _strings(schema["propertyNames"]) if "propertyNames" in schema else _WORDS
    low = schema.get("minProperties", 0)
    return st.dictionaries(keys, values(extra) if extra else _SCALARS, min_size=low,
                           max_size=max(low, MAX_ENTRIES))


def _arrays(schema: dict[str, Any]) -> st.SearchStrategy:
    return st.lists(values(schema.get("items", {})), min_size=schema.get("minItems", 0),
                    max_size=min(schema.get("maxItems", MAX_ENTRIES), MAX_ENTRIES))


_BY_TYPE = {"null": lambda s: st.none(), "boolean": lambda s: st.booleans(), "string": _strings,
            "integer": lambda s: _numbers(s, integer=True), "number": lambda s: _numbers(s, integer=False),
            "object": _objects, "array": _arrays}


# --- mistakes ----------------------------------------------------------------------------------
WRONG_TYPES = ("fast", 7, 2.5, True, None, [1], {"x": 1})


def bad_values(schema: dict[str, Any]) -> st.SearchStrategy:
    """A valid instance with one mistake somewhere below its top level, which ``schema`` refuses."""
    return mistakes(schema).map(lambda made: made[1])


@st.composite
def mistakes(draw, schema: dict[str, Any]) -> tuple[str, Any]:
    """(the kind of mistake, the instance with it): what ``bad_values`` draws, and what it did."""
    value = draw(values(schema))
    sites = [(path, mistakes_at(here, current)) for path, here, current in _sites(schema, value, ())]
    # the top level stays a mapping (a patch, a body): only its keys can be wrong
    sites = [(path, found if path else [(k, m) for k, m in found if isinstance(m, dict)]) for path, found in sites]
    sites = [site for site in sites if site[1]]
    assume(sites)
    path, found = draw(st.sampled_from(sites))
    kind, new = draw(st.sampled_from(found))
    bad = _replaced(value, path, new)
    assume(not valid(schema, bad))
    return kind, bad


def _sites(schema: dict[str, Any], value: Any, path: tuple):
    """(path, schema, value) of every part of ``value``, with the schema that part must meet."""
    if schema:
        yield path, schema, value
    for combinator in ("oneOf", "anyOf"):
        matching = [option for option in schema.get(combinator, ()) if valid(option, value)]
        for option in matching[:1]:
            yield from (site for site in _sites(option, value, path) if site[0] != path)
    if isinstance(value, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties", {})
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else {})
            yield from _sites(sub, item, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _sites(schema["items"], item, (*path, index))


def mistakes_at(schema: dict[str, Any], value: Any) -> list[tuple[str, Any]]:
    """(kind, value) this part could be given by mistake, each refused by its schema."""
    refuses = lambda candidate: not valid(schema, candidate)  # noqa: E731
    found = [("wrong type", candidate) for candidate in WRONG_TYPES]  # or, for an enum, not one of it
    for keyword, step in (("maximum", 1), ("exclusiveMaximum", 0), ("minimum", -1), ("exclusiveMinimum", 0)):
        if keyword in schema:  # just past the bound
            found.append(("out of range", schema[keyword] + step))
    if isinstance(value, dict):
        if schema.get("additionalProperties") is False and "colour" not in schema.get("properties", {}):
            found.append(("unknown key", {**value, "colour": "red"}))
        if "propertyNames" in schema and isinstance(schema.get("additionalProperties"), dict):
            found.append(("bad name", {**value, "Not A Name": next(iter(value.values()), None)}))
        tag = schema.get("discriminator", {}).get("propertyName")
        if tag in value:
            found.append(("bad tag", {**value, tag: "warp-drive"}))
    if isinstance(value, str) and "pattern" in schema:
        found.append(("bad pattern", value + " !"))
    return [(kind, candidate) for kind, candidate in found if refuses(candidate)]


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    value = copy.deepcopy(value)
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return value
