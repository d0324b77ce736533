"""How a settings dataclass annotates its fields: constraints and docs (``Meta``), unions
told apart by one key (``Tagged``), names; and reading those annotations back. See
stormlab_common/model.py for the whole pattern."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any

from stormlab_common.config import NAME_SCHEMA

_KEYWORDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum",
             "pattern": "pattern", "min_length": "minLength", "max_length": "maxLength",
             "min_items": "minItems", "max_items": "maxItems", "min_properties": "minProperties",
             "description": "description", "examples": "examples"}


class Meta:
    """Constraints and documentation of one field (``Annotated[float, Meta(gt=0)]``)."""

    def __init__(self, *, schema: Mapping[str, Any] | None = None, **keywords: Any):
        unknown = set(keywords) - set(_KEYWORDS)
        if unknown:
            raise TypeError(f"Meta: unknown keywords {sorted(unknown)}; known: {sorted(_KEYWORDS)}")
        self.schema = None if schema is None else dict(schema)
        self.keywords = {_KEYWORDS[key]: value for key, value in keywords.items()}


class Tagged:
    """Marks a union of dataclasses told apart by one field (``Tagged("name")``)."""

    def __init__(self, field: str):
        self.field = field


# A name (of a link, device, service, target): it ends up in metric labels.
Name = Annotated[str, Meta(pattern=NAME_SCHEMA["pattern"], description=NAME_SCHEMA["description"])]


@cache
def hints_of(cls: type) -> dict[str, Any]:
    """A dataclass's field annotations, resolved (with their Annotated extras), once per class:
    every parse reads them, and resolving them each time was most of a parse's cost."""
    return typing.get_type_hints(cls, include_extras=True)


def unwrap(hint: Any) -> tuple[Any, list[Meta], Tagged | None]:
    """The bare type of an annotation, with its Meta and Tagged markers."""
    metas: list[Meta] = []
    tagged = None
    while typing.get_origin(hint) is typing.Annotated:
        hint, *extras = typing.get_args(hint)
        metas += [e for e in extras if isinstance(e, Meta)]
        tagged = next((e for e in extras if isinstance(e, Tagged)), tagged)
    return hint, metas, tagged


@cache
def variants(hint: Any, tag: str) -> dict[str, type]:
    """The classes of a tagged union, by the value of their tag."""
    by_tag: dict[str, type] = {}
    for cls in typing.get_args(hint):
        tag_hint, _, _ = unwrap(hints_of(cls)[tag])
        (value,) = typing.get_args(tag_hint)  # each variant's tag is a Literal of one value
        by_tag[value] = cls
    return by_tag


# ``field(metadata={KEY: "with"})``: the field's key in the data, where its name cannot be
# that key (a Python keyword)
KEY = "stormlab_key"


def key_of(field: dataclasses.Field) -> str:
    """The key a field is written under in the data (and in paths): its name, unless it says."""
    return field.metadata.get(KEY, field.name)


def has_default(field: dataclasses.Field) -> bool:
    return field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING


def default_of(field: dataclasses.Field) -> Any:
    return field.default_factory() if field.default is dataclasses.MISSING else field.default


def own_doc(cls: type) -> str | None:
    """The class's docstring, unless it is the one dataclass writes (``Name(field: type, ...)``)."""
    doc = cls.__doc__ or ""
    if not doc or doc.startswith(f"{cls.__name__}("):
        return None
    return " ".join(doc.split())
