"""Service settings: layered loading, every bad key named, live changes through the same schema."""

import pytest

from services.config import config_from, load_service_config, patched
from stormlab_common.config import ConfigError


def test_defaults_and_layers(tmp_path):
    config_file = tmp_path / "kv.yml"
    config_file.write_text("name: kv\nrole: kv\ncapacity: {workers: 2}\nwork: {service_time_seconds: 0.05}\n")
    config = load_service_config(file=config_file, env={"STORMLAB_SERVICE_CAPACITY__QUEUE_LIMIT": "7",
                                                        "STORMLAB_SERVICE_REPLICA": "kv-1"},
                                 overrides=["capacity.workers=3"])
    assert (config.name, config.role, config.replica) == ("kv", "kv", "kv-1")
    assert (config.capacity.workers, config.capacity.queue_limit) == (3, 7)  # --set beats the file
    assert config.work.service_time_seconds == 0.05
    assert config.queue.discipline == "fifo"
    assert not config.mitigations.admission_control.enabled


def test_every_bad_key_is_reported_with_its_path():
    with pytest.raises(ConfigError) as caught:
        load_service_config(env={"STORMLAB_SERVICE_WORK__RESPONSE_BYTES": "-1",
                                 "STORMLAB_SERVICE_CAPACITY__WORKERS": "0",
                                 "STORMLAB_SERVICE_QUEUE__DISCIPLINE": "random",
                                 "STORMLAB_SERVICE_ROLE": "db"})
    assert caught.value.problems == [
        "name: required key is missing",
        "capacity.workers: expected a number >= 1, got 0",
        "queue.discipline: expected one of 'fifo', 'lifo', 'codel', got 'random'",
        "role: expected one of 'control-plane', 'dns', 'kv', 'monitoring-ingest', got 'db'",
        "work.response_bytes: expected a number >= 0, got -1",
    ]


def test_a_lognormal_needs_a_p99_its_mean_allows():
    with pytest.raises(ConfigError) as caught:
        config_from({"name": "api", "work": {"distribution": "lognormal", "service_time_seconds": 0.02,
                                             "p99_seconds": 0.01}})
    assert caught.value.problems == [
        "work.p99_seconds: expected a number above the mean (0.02) and at most 15.0 times it "
        "for a lognormal, got 0.01"]
    config = config_from({"name": "api", "work": {"distribution": "lognormal", "service_time_seconds": 0.02}})
    assert config.work.p99_seconds is None  # the distribution defaults it to 3x the mean


def test_a_live_change_is_merged_and_validated_whole():
    config = config_from({"name": "api", "replica": "r1", "capacity": {"workers": 4, "queue_limit": 10}})
    changed = patched(config, {"capacity": {"workers": 6},
                               "mitigations": {"admission_control": {"enabled": True}}})
    assert (changed.capacity.workers, changed.capacity.queue_limit) == (6, 10)
    assert changed.mitigations.admission_control.enabled
    assert config.capacity.workers == 4  # the original is untouched


def test_a_bad_live_change_names_every_problem():
    config = config_from({"name": "api", "replica": "r1"})
    with pytest.raises(ConfigError) as caught:
        patched(config, {"capacity": {"wrokers": 3, "queue_limit": -1}, "queue": {"discipline": "lilo"}})
    assert caught.value.problems == [
        "capacity.wrokers: unknown key; expected one of: queue_limit, workers",
        "capacity.queue_limit: expected a number >= 0, got -1",
        "queue.discipline: expected one of 'fifo', 'lifo', 'codel', got 'lilo'",
    ]
    with pytest.raises(ConfigError) as caught:
        patched(config, {"port": 9000, "colour": "red"})
    assert caught.value.problems == [
        "port: cannot change while running (live sections: capacity, work, queue, mitigations)",
        "colour: unknown key; expected one of: capacity, work, queue, mitigations",
    ]
    with pytest.raises(ConfigError):
        patched(config, ["not", "a", "mapping"])
