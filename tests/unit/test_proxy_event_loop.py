"""The proxy's event loop: uvloop where it is installed, asyncio's own on request or without
it, and a clear refusal when uvloop is asked for but missing."""

import sys

import pytest

from proxy.__main__ import event_loop_factory, main
from proxy.config import load_proxy_config
from stormlab_common.config import ConfigError


def test_auto_takes_uvloop_where_it_is_installed():
    uvloop = pytest.importorskip("uvloop")
    assert event_loop_factory("auto") is uvloop.new_event_loop
    assert event_loop_factory("uvloop") is uvloop.new_event_loop


def test_asyncio_is_asyncios_own_loop():
    assert event_loop_factory("asyncio") is None  # asyncio.Runner's default


def test_without_uvloop_auto_falls_back_and_uvloop_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert event_loop_factory("auto") is None
    with pytest.raises(ImportError):
        event_loop_factory("uvloop")


def test_uvloop_asked_for_but_missing_exits_with_the_reason(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert main(["--set", "event_loop=uvloop"]) == 2
    assert "event_loop is uvloop, but it cannot be imported" in capsys.readouterr().err


def test_an_unknown_loop_is_a_config_error():
    with pytest.raises(ConfigError, match="event_loop"):
        load_proxy_config(env={}, overrides=["event_loop=trio"])
