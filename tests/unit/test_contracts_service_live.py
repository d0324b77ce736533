"""The live change schema (what GET /openapi.json promises for PATCH /admin/config) is
exact: a change valid under it is applied or, at most, refused as a conflict with the
settings in force; a change it rejects is refused as malformed."""

import dataclasses

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from stormlab_common.contracts.service import (
    LIVE_SECTIONS,
    ChangeRefused,
    ServiceConfig,
    live_change_problems,
    live_change_schema,
    live_changed,
)
from stormlab_common.model import dump, parse

CURRENTS = [parse(ServiceConfig, {"name": "api", "replica": "r1"}),
            parse(ServiceConfig, {"name": "kv", "replica": "k1", "work": {
                "distribution": "lognormal", "service_time_seconds": 0.02, "p99_seconds": 0.1}})]
_values = (st.none() | st.booleans() | st.integers(-2, 300) | st.floats(-1, 100, allow_nan=False)
           | st.sampled_from(["fifo", "lifo", "codel", "lognormal", "fixed", "exponential", "x", "", 1e9])
           | st.lists(st.integers(), max_size=1))


def _fields_of(section: str) -> list[str]:
    cls = ServiceConfig.__dataclass_fields__[section].default_factory
    return [f.name for f in dataclasses.fields(cls)] + ["zz"]


def _section(section: str):
    if section == "mitigations":
        switch = st.none() | _values | st.dictionaries(
            st.sampled_from(["enabled", "max_queue_delay_seconds", "retry_after_seconds", "zz"]), _values,
            max_size=3)
        return st.none() | _values | st.dictionaries(st.sampled_from(_fields_of(section)), switch, max_size=3)
    return st.none() | _values | st.dictionaries(st.sampled_from(_fields_of(section)), _values, max_size=4)


_work = st.fixed_dictionaries({"work": st.fixed_dictionaries({}, optional={
    "distribution": st.sampled_from(["fixed", "exponential", "lognormal"]),
    "service_time_seconds": st.floats(0, 60), "p99_seconds": st.none() | st.floats(0.001, 3600)})})
_changes = st.one_of(
    _work,
    st.dictionaries(st.sampled_from([*LIVE_SECTIONS, "port", "zz"]), st.none() | _values, max_size=2),
    st.fixed_dictionaries({}, optional={name: _section(name) for name in LIVE_SECTIONS}),
    _values,
)


@settings(max_examples=600, deadline=None)
@given(current=st.sampled_from(CURRENTS), change=_changes)
def test_the_schema_decides_malformed_and_the_rules_decide_conflicts(current, change):
    valid = jsonschema.Draft202012Validator(live_change_schema()).is_valid(change)
    try:
        changed = live_changed(current, change)
    except ChangeRefused as exc:
        assert exc.conflict == valid, (change, exc.problems)
        assert exc.problems == live_change_problems(current, change)
        return
    assert valid, change
    assert live_change_problems(current, change) == []
    assert parse(ServiceConfig, dump(changed)) == changed
