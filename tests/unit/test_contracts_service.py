"""The service's contract: its settings, their rules and its request bodies, as the service
applies them and as the experiment runner checks them offline."""

import math

import jsonschema
import pytest

from stormlab_common.config import ConfigError
from stormlab_common.contracts.service import (
    LIVE_SECTIONS,
    MAX_LOGNORMAL_P99_RATIO,
    Announcement,
    ChangeRefused,
    Launch,
    MetricPush,
    ServiceConfig,
    live_change_problems,
    live_change_schema,
    live_changed,
)
from stormlab_common.model import defaults, dump, parse, problems_of, schema_of

CURRENT = parse(ServiceConfig, {"name": "api", "replica": "r1", "capacity": {"workers": 4, "queue_limit": 10},
                                "work": {"service_time_seconds": 0.1}})


def test_one_definition_gives_the_schema_and_the_defaults():
    schema = schema_of(ServiceConfig)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["name"]
    assert schema["properties"]["port"]["default"] == 8080
    assert defaults(ServiceConfig.__dataclass_fields__["mitigations"].default_factory) == {
        "admission_control": {"enabled": False, "max_queue_delay_seconds": 0.25, "retry_after_seconds": 1},
        "deadline_propagation": {"enabled": False}, "first_attempt_priority": {"enabled": False}}
    config = parse(ServiceConfig, {"name": "kv"})
    assert (config.replica, config.work.p99_seconds, config.membership.services) == (None, None, ())
    assert config.work.p99_in_force_seconds == pytest.approx(0.03)  # 3 times the mean


def test_whole_numbers_stay_ints_and_nan_is_refused():
    config = parse(ServiceConfig, {"name": "api", "capacity": {"workers": 5.0}, "work": {"response_bytes": 10.0}})
    assert (config.capacity.workers, config.work.response_bytes) == (5, 10)
    assert isinstance(config.capacity.workers, int)
    assert problems_of(ServiceConfig, {"name": "api", "work": {"service_time_seconds": math.nan}}) == [
        "work.service_time_seconds: expected a finite number, got nan"]
    assert "work.service_time_seconds: expected a number <= 60, got inf" in problems_of(
        ServiceConfig, {"name": "api", "work": {"service_time_seconds": math.inf}})


def test_a_lognormal_needs_a_p99_its_mean_allows():
    def problems(**work):
        return problems_of(ServiceConfig, {"name": "api", "work": {"distribution": "lognormal", **work}})

    assert problems(service_time_seconds=0) == ["work.service_time_seconds: a lognormal needs a positive mean, got 0"]
    assert problems(service_time_seconds=1, p99_seconds=MAX_LOGNORMAL_P99_RATIO + 1) == [
        f"work.p99_seconds: expected a number above the mean (1) and at most 15.0 times it for a lognormal, "
        f"got {MAX_LOGNORMAL_P99_RATIO + 1!r}"]
    assert problems(service_time_seconds=0.02) == []  # the default p99, 3 times the mean, is fine
    assert problems_of(ServiceConfig, {"name": "api", "work": {"service_time_seconds": 0}}) == []  # fixed


def test_a_live_change_merges_and_null_restores_the_default():
    changed = live_changed(CURRENT, {"capacity": {"workers": 6}, "queue": {"discipline": "lifo"},
                                     "mitigations": {"admission_control": {"enabled": True}}})
    assert (changed.capacity.workers, changed.capacity.queue_limit) == (6, 10)
    assert changed.mitigations.admission_control.enabled
    assert live_changed(changed, {"capacity": {"queue_limit": None}, "queue": None}).capacity.queue_limit == 256
    assert live_changed(changed, {"queue": None}).queue.discipline == "fifo"
    assert CURRENT.capacity.workers == 4  # never changed in place
    assert dump(live_changed(CURRENT, {})) == dump(CURRENT)


def test_only_live_sections_change_and_every_problem_is_named():
    assert live_change_problems(CURRENT, {"port": 9000, "colour": "red", "capacity": {"workers": 0}}) == [
        "port: cannot change while running (live sections: capacity, work, queue, mitigations)",
        "colour: unknown key; expected one of: capacity, work, queue, mitigations",
        "capacity.workers: expected a number >= 1, got 0",
    ]
    # an unknown key set to null would vanish in the merge: it is still refused
    assert live_change_problems(CURRENT, {"mitigations": {"deadline_propagation": {"on": None}}}) == [
        "mitigations.deadline_propagation.on: unknown key; expected one of: enabled"]
    assert live_change_problems(CURRENT, [1], prefix=("timeline", 2, "change")) == [
        "timeline.2.change: expected a JSON object (a merge patch), got an array"]
    assert live_change_problems(CURRENT, {"capacity": {"wrokers": 2}}, prefix=("services", "api")) == [
        "services.api.capacity.wrokers: unknown key; expected one of: queue_limit, workers"]


def test_a_well_formed_change_the_settings_in_force_make_invalid_is_a_conflict():
    lognormal = {"work": {"distribution": "lognormal", "p99_seconds": 0.05}}  # under the mean in force
    with pytest.raises(ChangeRefused) as caught:
        live_changed(CURRENT, lognormal)
    assert caught.value.conflict
    assert caught.value.problems == ["work.p99_seconds: expected a number above the mean (0.1) and at most "
                                     "15.0 times it for a lognormal, got 0.05"]
    assert jsonschema.Draft202012Validator(live_change_schema()).is_valid(lognormal)
    for malformed in ({"port": 1}, {"work": {"service_time_seconds": math.nan}}):  # NaN: from YAML's .nan
        with pytest.raises(ChangeRefused) as caught:
            live_changed(CURRENT, malformed)
        assert not caught.value.conflict, malformed
    assert isinstance(caught.value, ConfigError)


def test_the_live_change_schema_is_a_merge_patch_of_the_live_sections():
    schema = live_change_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == list(LIVE_SECTIONS)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"capacity": None, "work": {"p99_seconds": None}})
    assert not validator.is_valid({"port": 1})
    assert not validator.is_valid({"queue": {"discipline": "lilo"}})


def test_request_bodies():
    assert parse(Launch, {"count": 2.0}) == Launch(2, "m5.large")
    assert problems_of(Launch, {"count": 3, "colour": "red"}) == [
        "colour: unknown key; expected one of: count, instance_type"]
    assert problems_of(Announcement, {"endpoints": [{"replica": "x", "address": "nohost"}]}) == [
        "endpoints.0.address: expected host:port, got 'nohost'"]
    push = parse(MetricPush, {"agent": "host-1", "samples": [{"name": "up", "value": 1}]})
    assert push.samples[0].value == 1.0 and push.samples[0].labels == {}
    assert problems_of(MetricPush, {"agent": "host-1", "samples": [{"name": "up", "value": 10 ** 400}]}) == [
        f"samples.0.value: expected a number <= {1.7976931348623157e308}, got {10 ** 400!r}"]
