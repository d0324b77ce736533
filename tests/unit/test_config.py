"""Layered config: precedence, env parsing, and errors that name every bad key."""

import pytest

from stormlab_common.config import ConfigError, load_config, validate

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "port": {"type": "integer", "minimum": 0, "maximum": 65535, "default": 8080},
        "name": {"type": "string", "default": "x"},
        "links": {
            "type": "object",
            "default": {},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["upstream"],
                "properties": {
                    "upstream": {"type": "string"},
                    "bandwidth_bytes": {"type": "number", "exclusiveMinimum": 0, "default": 1000},
                },
            },
        },
    },
}


def test_defaults_fill_in_when_nothing_is_given():
    assert load_config(SCHEMA, env_prefix="T_", env={}) == {"port": 8080, "name": "x", "links": {}}


def test_precedence_is_file_then_env_then_cli(tmp_path):
    config_file = tmp_path / "c.yml"
    config_file.write_text("port: 1\nname: from-file\nlinks: {dns: {upstream: 'dns:53'}}\n")
    env = {"T_PORT": "2", "T_LINKS__DNS__BANDWIDTH_BYTES": "5e3"}
    config = load_config(SCHEMA, env_prefix="T_", file=config_file, env=env, overrides=["port=3"])
    assert config["port"] == 3  # CLI beats env beats file
    assert config["name"] == "from-file"
    assert config["links"]["dns"] == {"upstream": "dns:53", "bandwidth_bytes": 5000.0}


def test_file_can_be_named_by_the_environment(tmp_path):
    config_file = tmp_path / "c.yml"
    config_file.write_text("name: via-env\n")
    config = load_config(SCHEMA, env_prefix="T_", env={"T_CONFIG": str(config_file)})
    assert config["name"] == "via-env"


def test_every_bad_key_is_reported_with_its_path():
    env = {"T_PORT": "not-a-port", "T_COLOUR": "red", "T_LINKS__DNS__BANDWIDTH_BYTES": "-5"}
    with pytest.raises(ConfigError) as caught:
        load_config(SCHEMA, env_prefix="T_", env=env)
    problems = caught.value.problems
    assert "colour: unknown key; expected one of: links, name, port" in problems
    assert "port: expected an integer, got 'not-a-port'" in problems
    assert "links.dns.bandwidth_bytes: expected a positive number, got -5" in problems
    assert "links.dns.upstream: required key is missing" in problems
    assert len(problems) == 4


def test_range_errors_say_what_is_expected():
    with pytest.raises(ConfigError) as caught:
        validate(SCHEMA, {"port": 70000})
    assert caught.value.problems == ["port: expected a number <= 65535, got 70000"]


def test_unreadable_and_malformed_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(SCHEMA, env_prefix="T_", env={}, file=tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("port: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(SCHEMA, env_prefix="T_", env={}, file=broken)
    listy = tmp_path / "list.yml"
    listy.write_text("- 1\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top level"):
        load_config(SCHEMA, env_prefix="T_", env={}, file=listy)


def test_malformed_cli_override_is_reported():
    with pytest.raises(ConfigError) as caught:
        load_config(SCHEMA, env_prefix="T_", env={}, overrides=["port"])
    assert caught.value.problems == ["--set 'port': expected key.path=value"]


def test_other_prefixes_are_ignored():
    config = load_config(SCHEMA, env_prefix="T_", env={"OTHER_PORT": "1", "T_NAME": "kept"})
    assert config["port"] == 8080 and config["name"] == "kept"


def test_exponent_notation_is_a_number_in_files_too(tmp_path):
    config_file = tmp_path / "c.yml"
    config_file.write_text("links: {dns: {upstream: 'dns:53', bandwidth_bytes: 1.5e6}}\nname: 1e3x\n")
    config = load_config(SCHEMA, env_prefix="T_", file=config_file, env={})
    assert config["links"]["dns"]["bandwidth_bytes"] == 1_500_000.0
    assert config["name"] == "1e3x"  # not a number: stays a string
