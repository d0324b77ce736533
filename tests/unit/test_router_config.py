"""The router's config file: the proxy's contract for devices and links, and what the kernel
lacks refused at start as the API refuses it later, every problem with its path."""

from __future__ import annotations

import pytest

from router.config import config_from_dict
from stormlab_common.config import ConfigError


def test_defaults_and_pinned_knobs():
    config = config_from_dict({"links": {"api": {"listen_port": 8081, "upstream": "api:8080"}}})
    assert (config.interfaces.clients, config.interfaces.services) == ("auto", "auto")
    assert config.devices["border"].connections.backlog == 1024  # the proxy's: a setup queue once rated
    assert config.devices["border"].connections.setup_cost_bytes == 0
    assert config.admin.port == 8474


def test_every_refusal_is_reported_at_once_with_its_path():
    with pytest.raises(ConfigError) as refused:
        config_from_dict({
            "devices": {"border": {"connections": {"setup_cost_bytes": 10}}}})
    assert refused.value.problems[0].startswith("devices.border.connections.setup_cost_bytes: the kernel's "
                                                "connection setup work")
    with pytest.raises(ConfigError) as refused:
        config_from_dict({"links": {
            "api": {"listen_port": 8081, "upstream": "api:8080", "protocol": "http"},
            "kv": {"listen_port": 8474, "upstream": "kv:8080"},
            "dns": {"listen_port": 8081, "upstream": "dns:8080", "device": "nowhere"}}})
    problems = refused.value.problems
    assert any(p.startswith("links.api.protocol: the kernel device forwards packets") for p in problems)
    assert "links.kv.listen_port: 8474 is the agent's admin port" in problems
    assert any(p.startswith("links.dns.device: unknown device 'nowhere'") for p in problems)
    assert "links: listen_port 8081 is used by more than one link (api, dns)" in problems
