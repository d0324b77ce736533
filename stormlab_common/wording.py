"""How a schema's complaints read, wherever they are found: one ``path: what is wrong`` line
per problem (``links.dns.upstream: expected a string, got 5``), from jsonschema's errors.
Every component, and the experiment runner checking a scenario offline, words its problems
through here, so the same mistake reads the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema


def dotted(path) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def validation_problems(schema: Mapping[str, Any], instance: Any, prefix: tuple = ()) -> list[str]:
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    problems: list[str] = []
    for error in errors:
        problems.extend(_describe(error, tuple(prefix)))
    return problems


def invalid_paths(schema: Mapping[str, Any], instance: Any) -> list[tuple]:
    """Where in ``instance`` the schema finds a fault: one path per error, the faulty value's."""
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [tuple(error.absolute_path) for error in validator.iter_errors(instance)]


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words (``a JSON array``, ``null``), for the
    person who sent it: never in Python's (``list``, ``NoneType``), which they did not write."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON array"
    return "a JSON object" if isinstance(value, Mapping) else "a value JSON does not have"


def shown(value: Any) -> str:
    """A value as a problem quotes it: ``true``, ``false`` and ``null`` as JSON and YAML spell
    them (a sender never wrote ``True`` or ``None``); anything else as Python shows it, which
    for strings, numbers and plain lists reads as written."""
    if value is None or isinstance(value, bool):
        return json_kind(value)
    return repr(value)


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _describe(error: jsonschema.ValidationError, prefix: tuple) -> list[str]:
    path = [*prefix, *error.absolute_path]
    where = dotted(path)
    value, schema, kind = error.instance, error.schema, error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        known = sorted(schema.get("properties", {}))
        extras = sorted(set(value) - set(known))
        expected = f"expected one of: {', '.join(known)}" if known else "no keys are allowed here"
        return [f"{dotted([*path, key])}: unknown key; {expected}" for key in extras]
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [f"{dotted([*path, missing])}: required key is missing"]
    if kind == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted)
        return [f"{where}: expected {words}, got {shown(value)}"]
    if kind == "exclusiveMinimum" and error.validator_value == 0:
        return [f"{where}: expected a positive number, got {shown(value)}"]
    if kind == "minimum":
        return [f"{where}: expected a number >= {error.validator_value}, got {shown(value)}"]
    if kind == "exclusiveMinimum":
        return [f"{where}: expected a number > {error.validator_value}, got {shown(value)}"]
    if kind == "maximum":
        return [f"{where}: expected a number <= {error.validator_value}, got {shown(value)}"]
    if kind == "enum":
        options = ", ".join(shown(v) for v in error.validator_value)
        return [f"{where}: expected one of {options}, got {shown(value)}"]
    if kind == "const":
        return [f"{where}: expected {shown(error.validator_value)}, got {shown(value)}"]
    if kind == "anyOf" and value is not None and _is_nullable_wrapper(schema):
        # "X or null" and not null: X's own problems, not "valid under none of the given schemas"
        (other,) = [option for option in schema["anyOf"] if option != {"type": "null"}]
        return validation_problems(other, value, tuple(path))
    if kind == "oneOf" and isinstance(schema.get("discriminator"), Mapping):
        return _describe_tagged(value, schema, tuple(path))
    hint = schema.get("description")
    if kind == "pattern" and hint:
        return [f"{where}: expected {hint}, got {shown(value)}"]
    return [f"{where}: {error.message}" + (f" ({hint})" if hint else "")]


def _is_nullable_wrapper(schema: Mapping[str, Any]) -> bool:
    options = schema.get("anyOf")
    return isinstance(options, list) and len(options) == 2 and {"type": "null"} in options


def _describe_tagged(value: Any, schema: Mapping[str, Any], path: tuple) -> list[str]:
    """A union told apart by one key (a policy's ``name``, a fault's ``type``): the key names
    the variant, and the problems are that variant's own, not "valid under none of them"."""
    if not isinstance(value, Mapping):
        return []  # the union's own "type": "object" says it
    tag = schema["discriminator"]["propertyName"]
    if tag not in value:
        return []  # its "required" says it
    variants = {}
    for variant in schema["oneOf"]:
        tag_schema = variant.get("properties", {}).get(tag, {})
        variants[tag_schema.get("const", (tag_schema.get("enum") or [None])[0])] = variant
    chosen = variants.get(value[tag]) if isinstance(value[tag], str) else None
    if chosen is None:
        options = ", ".join(repr(option) for option in variants)
        return [f"{dotted([*path, tag])}: expected one of {options}, got {shown(value[tag])}"]
    return validation_problems(chosen, value, path)
