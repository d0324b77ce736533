"""The strategies the agreement tests draw from (tests/unit/schema_strategies.py): what
``values`` draws, its schema accepts, and what ``bad_values`` draws, it refuses, for every
schema those tests use and the scenario's own."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stormlab_common.contracts.loadgen import LoadgenConfig
from stormlab_common.contracts.policies import POLICY_SCHEMA
from stormlab_common.contracts.proxy import Device, Link
from stormlab_common.contracts.service import live_change_schema
from stormlab_common.model import patch_schema_of, schema_of
from stormlab_common.scenario.file import ScenarioFile
from tests.unit.schema_strategies import bad_values, mistakes_at, values

SCHEMAS = {"device": schema_of(Device), "device patch": patch_schema_of(Device), "link": schema_of(Link),
           "service change": live_change_schema(), "loadgen": schema_of(LoadgenConfig), "policy": POLICY_SCHEMA,
           "scenario": schema_of(ScenarioFile)}


@pytest.mark.parametrize("name", SCHEMAS)
def test_values_are_accepted_and_bad_values_refused(name):
    schema = SCHEMAS[name]
    validator = jsonschema.Draft202012Validator(schema)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        good = data.draw(values(schema))
        assert validator.is_valid(good), list(validator.iter_errors(good))
        bad = data.draw(bad_values(schema))
        assert not validator.is_valid(bad)
        assert json.loads(json.dumps(bad)) == bad  # what a component would receive

    check()


@pytest.mark.parametrize("schema, value, kind, mistake", [
    ({"type": "integer", "minimum": 0}, 5, "wrong type", "fast"),
    ({"type": "integer", "minimum": 0}, 5, "out of range", -1),
    (schema_of(Device), {}, "unknown key", {"colour": "red"}),
    (schema_of(Link)["properties"]["faults"], {}, "bad name", {"Not A Name": None}),
    (POLICY_SCHEMA, {"name": "fixed"}, "bad tag", {"name": "warp-drive"}),
    (schema_of(Link)["properties"]["upstream"], "api:8080", "bad pattern", "api:8080 !"),
], ids=lambda case: case if isinstance(case, str) and " " in case else "")
def test_each_kind_of_mistake_is_made_where_it_applies(schema, value, kind, mistake):
    made = mistakes_at(schema, value)
    assert (kind, mistake) in made
    assert not any(jsonschema.Draft202012Validator(schema).is_valid(bad) for _, bad in made)
