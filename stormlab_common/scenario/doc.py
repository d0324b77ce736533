"""The scenario format's tables in docs/experiments.md, generated from the one definition
(stormlab_common/scenario/file.py, stormlab_common/scenario/actions/): every key with its type, default and
meaning, and every operator action with its parameters. A unit test keeps the docs in step.

    python -m stormlab_common.scenario.doc    # prints both tables
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from stormlab_common.config import NAME_SCHEMA
from stormlab_common.fields import key_of
from stormlab_common.model import schema_of
from stormlab_common.scenario.actions import ACTIONS
from stormlab_common.scenario.actions.base import Step
from stormlab_common.scenario.file import ScenarioFile

# A name's schema describes what a name may be (its errors say "expected a name of ..."), so
# what each name-valued key means is said here.
NAME_MEANINGS = {
    "name": "lowercase; the results folder and the report use it",
    "timeline.trigger.membership": "announce a new membership of this service at the start: every "
                                   "watching client reconnects",
    "timeline.actions[].name": "for the report and the window action:<name>; null: <do>-<position>, "
                               "e.g. move-link-1",
    "compare[].with": "the other scenario (its run in the same matrix)",
    "service_under_test.link": "the link the run creates on the proxy and removes afterwards (one the "
                               "proxy has is changed, then put back); the clients' target of that name",
    "service_under_test.device": "the device the link crosses",
}
_WORDS = {"object": "mapping", "array": "list", "string": "text", "integer": "integer", "number": "number",
          "boolean": "true/false", "null": "null"}


def key_rows(schema: dict[str, Any] | None = None, path: str = "") -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) of every key, depth first; ``a[].b``: key b of each entry of
    list a. Free-form mappings (a device's limits) and the actions' parameters stop the walk."""
    schema = schema_of(ScenarioFile) if schema is None else schema
    required = set(schema.get("required", ()))
    rows = []
    for key, sub in schema["properties"].items():
        name = f"{path}{key}"
        default = "required" if key in required else json.dumps(sub.get("default"))
        meaning = NAME_MEANINGS.get(name) or sub.get("description", "")
        rows.append((name, type_words(sub), default, meaning))
        inner = _object(sub)
        if inner is not None and "properties" in inner:
            rows += key_rows(inner, f"{name}.")
        items = _object(sub.get("items", {})) if sub.get("type") == "array" else None
        if items is not None and "properties" in items:
            rows += key_rows(items, f"{name}[].")
        elif items is not None and "oneOf" in items:  # the operator actions: their own table
            rows += key_rows(schema_of(Step), f"{name}[].")
            rows.append((f"{name}[].{items['discriminator']['propertyName']}",
                         "one of " + ", ".join(json.dumps(do) for do in ACTIONS), "required",
                         "the action; its parameters sit beside it (operator actions, below)"))
    return rows


def type_words(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(type_words(option) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(value) for value in schema["enum"])
    if "oneOf" in schema:
        return f"mapping, by {schema['discriminator']['propertyName']}"
    if schema.get("pattern") == NAME_SCHEMA["pattern"]:
        words = "name or null" if "null" in schema.get("type", ()) else "name"
    else:
        kinds = schema.get("type", "any")
        words = " or ".join(_WORDS[kind] for kind in ([kinds] if isinstance(kinds, str) else kinds)) \
            if kinds != "any" else "any"
    bounds = [f"{sign} {schema[keyword]:g}" for keyword, sign in
              (("exclusiveMinimum", ">"), ("minimum", ">="), ("exclusiveMaximum", "<"), ("maximum", "<="))
              if keyword in schema]
    if schema.get("propertyNames", {}).get("pattern") == NAME_SCHEMA["pattern"]:
        words += " of names"
    return ", ".join([words, *bounds]) + (", not empty" if schema.get("minLength") else "")


def action_rows() -> list[tuple[str, str, str]]:
    """(do, parameters, what it does) of every operator action."""
    rows = []
    for name, cls in ACTIONS.items():
        shared = {f.name for f in dataclasses.fields(Step)} | {"do"}
        own = [f for f in dataclasses.fields(cls.Params) if f.name not in shared]
        properties = schema_of(cls.Params)["properties"]
        params = ", ".join(f"`{key_of(f)}` ({type_words(properties[key_of(f)])})" for f in own)
        doc = (sys.modules[cls.__module__].__doc__ or "").strip().split("\n\n")[0]
        rows.append((name, params, " ".join(doc.split())))
    return rows


def markdown_keys() -> str:
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| `{key}` | {_cell(kind)} | {default} | {_cell(meaning)} |"
              for key, kind, default, meaning in key_rows()]
    return "\n".join(lines)


def markdown_actions() -> str:
    lines = ["| `do:` | parameters | what it does |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {_cell(params)} | {_cell(doc)} |" for name, params, doc in action_rows()]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("<", "&lt;").replace("|", "\\|")  # not an HTML tag, not a column


def _object(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema in ``schema`` (itself, or its non-null option), if it is one."""
    options = schema.get("anyOf", [schema])
    found = [option for option in options if option.get("type") in ("object", ["object", "null"])]
    return found[0] if found else None


if __name__ == "__main__":
    print(markdown_keys(), markdown_actions(), sep="\n\n")
