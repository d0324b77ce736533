"""Settings written once (stormlab_common/model.py): the schema, the defaults, the types and
the wording of every problem all come from one dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stormlab_common.config import ConfigError
from stormlab_common.model import (
    Meta,
    Name,
    Tagged,
    defaults,
    dump,
    load,
    parse,
    patch_schema_of,
    patched,
    problems_of,
    schema_of,
)


@dataclass(frozen=True)
class Fixed:
    name: Literal["fixed"]
    max_attempts: Annotated[int, Meta(ge=1, le=100)] = 3


@dataclass(frozen=True)
class Naive:
    name: Literal["naive"]


@dataclass(frozen=True)
class Direction:
    """Limits of one direction."""

    bytes_per_second: Annotated[float | None, Meta(gt=0, description="null = unlimited")] = None
    buffer_bytes: Annotated[int, Meta(ge=1)] = 4096

    def check(self):
        if self.bytes_per_second is not None and self.bytes_per_second * 0.02 > self.buffer_bytes:
            return [(("buffer_bytes",), f"expected at least 20 ms at the rate, got {self.buffer_bytes}")]
        return []


@dataclass(frozen=True)
class Link:
    upstream: Annotated[str, Meta(pattern=r"^[^:\s]+:[0-9]{1,5}$", description="host:port")]
    device: Name = "border"


@dataclass(frozen=True)
class Device:
    up: Direction = field(default_factory=Direction)
    policy: Annotated[Fixed | Naive, Tagged("name")] = field(default_factory=lambda: Naive("naive"))
    links: dict[Name, Link] = field(default_factory=dict)
    mode: Literal["refuse", "reset"] = "refuse"
    tags: tuple[str, ...] = ()
    extra: Annotated[dict, Meta(schema={"type": "object", "maxProperties": 1})] = field(default_factory=dict)
    anything: Any = None


def test_the_schema_holds_types_constraints_defaults_and_descriptions():
    schema = schema_of(Device)
    up = schema["properties"]["up"]
    assert up["additionalProperties"] is False
    assert up["description"] == "Limits of one direction."
    assert up["default"] == {"bytes_per_second": None, "buffer_bytes": 4096}
    assert up["properties"]["bytes_per_second"] == {"type": ["number", "null"], "exclusiveMinimum": 0,
                                                    "description": "null = unlimited", "default": None}
    assert schema["properties"]["mode"] == {"enum": ["refuse", "reset"], "default": "refuse"}
    assert schema["properties"]["links"]["propertyNames"]["pattern"].startswith("^[a-z]")
    assert schema_of(Link)["required"] == ["upstream"]
    policy = schema["properties"]["policy"]
    assert policy["discriminator"] == {"propertyName": "name"}
    assert [v["properties"]["name"] for v in policy["oneOf"]] == [{"enum": ["fixed"]}, {"enum": ["naive"]}]
    assert schema["properties"]["extra"]["maxProperties"] == 1
    jsonschema.Draft202012Validator.check_schema(schema)


def test_a_patch_schema_makes_every_key_optional_and_null_where_a_default_exists():
    schema = patch_schema_of(Device)
    assert "required" not in schema
    assert schema["properties"]["up"]["type"] == ["object", "null"]
    assert "default" not in schema["properties"]["up"]["properties"]["buffer_bytes"]
    assert schema["properties"]["mode"]["enum"] == ["refuse", "reset", None]
    link = patch_schema_of(Link)
    assert link["properties"]["upstream"]["type"] == "string"  # required: nothing to fall back to
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"up": {"buffer_bytes": None}, "links": {"a": None}})
    assert not validator.is_valid({"up": {"buffer_bytes": 0}})
    jsonschema.Draft202012Validator.check_schema(schema)


def test_parse_fills_defaults_and_builds_the_types():
    device = parse(Device, {"up": {"bytes_per_second": 5000}, "policy": {"name": "fixed"},
                            "links": {"dns": {"upstream": "dns:8080"}}, "tags": ["a", "b"]})
    assert device.up == Direction(bytes_per_second=5000.0, buffer_bytes=4096)
    assert isinstance(device.up.bytes_per_second, float)
    assert device.policy == Fixed("fixed", 3)
    assert device.links == {"dns": Link("dns:8080", "border")}
    assert device.tags == ("a", "b")
    assert parse(Device, {}) == Device()


def test_every_problem_is_named_by_its_path_at_once():
    problems = problems_of(Device, {
        "up": {"bytes_per_second": "fast", "zz": 1},
        "policy": {"name": "warp-drive"},
        "links": {"dns": {"upstream": "dns"}},
        "mode": "maybe",
        "tags": "a",
    }, prefix=("devices", "border"))
    assert problems == [
        "devices.border.links.dns.upstream: expected host:port, got 'dns'",
        "devices.border.mode: expected one of 'refuse', 'reset', got 'maybe'",
        "devices.border.policy.name: expected one of 'fixed', 'naive', got 'warp-drive'",
        "devices.border.tags: expected a list, got 'a'",
        "devices.border.up.zz: unknown key; expected one of: buffer_bytes, bytes_per_second",
        "devices.border.up.bytes_per_second: expected a number or null, got 'fast'",
    ]


def test_a_variant_reports_its_own_problems():
    assert problems_of(Device, {"policy": {"name": "fixed", "max_attempts": 0}}) == [
        "policy.max_attempts: expected a number >= 1, got 0"]
    assert problems_of(Device, {"policy": {"name": "naive", "max_attempts": 3}}) == [
        "policy.max_attempts: unknown key; expected one of: name"]
    assert problems_of(Device, {"policy": {}}) == ["policy.name: required key is missing"]
    assert problems_of(Device, {"policy": 5}) == ["policy: expected a mapping, got 5"]


def test_the_rules_of_well_formed_parts_are_checked_even_when_another_part_is_not():
    problems = problems_of(Device, {"up": {"bytes_per_second": 1e6, "buffer_bytes": 100}, "mode": "x"})
    assert problems == ["mode: expected one of 'refuse', 'reset', got 'x'",
                        "up.buffer_bytes: expected at least 20 ms at the rate, got 100"]
    with pytest.raises(ConfigError) as caught:
        parse(Device, {"up": {"bytes_per_second": 1e6, "buffer_bytes": 100}}, source="device 'border'")
    assert str(caught.value).startswith("invalid device 'border':")


def test_a_merge_patch_merges_and_null_restores_the_default():
    current = parse(Device, {"up": {"bytes_per_second": 10, "buffer_bytes": 10}, "mode": "reset"})
    changed = patched(Device, current, {"up": {"buffer_bytes": None}, "mode": None})
    assert changed.up == Direction(10.0, 4096)
    assert changed.mode == "refuse"
    with pytest.raises(ConfigError) as caught:
        patched(Device, current, [1], prefix=("devices", "border"))
    assert caught.value.problems == ["devices.border: expected a JSON object (a merge patch), got an array"]
    assert current.mode == "reset"


def test_layers_file_then_environment_then_overrides(tmp_path):
    file = tmp_path / "device.yml"
    file.write_text("mode: reset\nup: {buffer_bytes: 10}\n")
    loaded = load(Device, env_prefix="X_", env={"X_CONFIG": str(file), "X_UP__BUFFER_BYTES": "20"},
                  overrides=["tags=[a]"])
    assert (loaded.mode, loaded.up.buffer_bytes, loaded.tags) == ("reset", 20, ("a",))
    with pytest.raises(ConfigError) as caught:
        load(Device, env_prefix="X_", env={"X_UP__BUFFER_BYTES": "none"}, overrides=["oops"])
    assert caught.value.problems == ["--set 'oops': expected key.path=value"]


def test_defaults_are_the_dataclass_defaults_as_data():
    assert defaults(Device)["up"] == {"bytes_per_second": None, "buffer_bytes": 4096}
    assert defaults(Device)["policy"] == {"name": "naive"}


_json = st.recursive(st.none() | st.booleans() | st.integers(-10, 10**7) | st.floats(allow_nan=False)
                     | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=3), max_leaves=8)
_device_like = st.fixed_dictionaries({}, optional={
    "up": st.fixed_dictionaries({}, optional={"bytes_per_second": _json | st.floats(1, 1e9),
                                              "buffer_bytes": _json | st.integers(1, 10**8)}),
    "policy": st.fixed_dictionaries({"name": st.sampled_from(["fixed", "naive", "x"])},
                                    optional={"max_attempts": _json | st.integers(-1, 101)}),
    "mode": _json | st.sampled_from(["refuse", "reset"]),
    "links": st.dictionaries(st.sampled_from(["dns", "Bad", "kv"]),
                             st.fixed_dictionaries({"upstream": _json | st.just("dns:8080")})),
})


@settings(max_examples=300, deadline=None)
@given(_device_like)
def test_the_schema_and_parse_agree_and_what_parses_dumps_back_to_itself(data):
    schema_valid = jsonschema.Draft202012Validator(schema_of(Device)).is_valid(data)
    problems = problems_of(Device, data)
    if not schema_valid:
        assert problems  # never accepted past the schema
        return
    if problems:  # only the rules a schema cannot say
        assert all(p.endswith("expected at least 20 ms at the rate, got " + p.rsplit(" ", 1)[1])
                   for p in problems)
        return
    device = parse(Device, data)
    assert parse(Device, dump(device)) == device
    assert jsonschema.Draft202012Validator(schema_of(Device)).is_valid(dump(device))


def test_a_tag_that_is_not_a_string_is_a_problem_not_a_crash():
    assert problems_of(Device, {"policy": {"name": {}}, "up": {"buffer_bytes": 1}}) == [
        "policy.name: expected one of 'fixed', 'naive', got {}"]


def test_an_integral_float_counts_as_an_integer_and_becomes_one():
    device = parse(Device, {"up": {"buffer_bytes": 65536.0}, "policy": {"name": "fixed", "max_attempts": 3.0}})
    assert device.up.buffer_bytes == 65536 and isinstance(device.up.buffer_bytes, int)
    assert isinstance(device.policy.max_attempts, int)


def test_not_a_number_and_infinity_are_refused_wherever_they_are():
    assert problems_of(Device, {"up": {"bytes_per_second": float("nan")}, "tags": [float("inf")]}) == [
        "up.bytes_per_second: expected a finite number, got nan",
        "tags.0: expected a finite number, got inf",
        "tags.0: expected a string, got inf",
    ]


def test_a_nullable_union_reports_the_problems_of_its_non_null_side():
    from stormlab_common.config import validation_problems

    schema = patch_schema_of(Device)["properties"]["policy"]
    assert "anyOf" in schema
    assert validation_problems(schema, {"name": "fixed", "max_attempts": 0}, ("policy",)) == [
        "policy.max_attempts: expected a number >= 1, got 0"]
    assert validation_problems(schema, None) == []
