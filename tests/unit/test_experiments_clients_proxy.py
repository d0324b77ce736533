"""The proxy's client against the proxy's own admin API (in-process, real sockets): what the
runner reads and changes means what the proxy means by it."""

import time

import pytest

from experiments.clients.proxy import ProxyClient
from experiments.errors import ComponentError
from tests.unit.experiments_live_components import proxy_admin


@pytest.fixture
def proxy():
    with proxy_admin({"dns": {"upstream": "127.0.0.1:9"}},
                     {"border": {"connections": {"new_per_second": 100}}}) as (url, topology):
        yield ProxyClient(url), topology


def test_a_device_is_read_or_is_none(proxy):
    client, _ = proxy
    border = client.device("border")
    assert border["config"]["connections"]["new_per_second"] == 100 and border["links"] == ["dns"]
    assert client.device("side") is None


def test_create_patch_and_delete_a_device(proxy):
    client, topology = proxy
    created = client.create_device({"name": "side", "connections": {"new_per_second": 1000}})
    assert created["config"]["connections"]["new_per_second"] == 1000
    patched = client.patch_device("side", {"connections": {"max_active": 10}})
    assert patched["config"]["connections"]["new_per_second"] == 1000  # merged, not replaced
    assert patched["config"]["connections"]["max_active"] == 10
    client.delete_device("side")
    assert "side" not in topology.devices
    client.delete_device("side", missing_ok=True)  # already gone: that is what was wanted
    with pytest.raises(ComponentError, match=r"DELETE .*/devices/side answered 404: .*side"):
        client.delete_device("side")


def test_a_device_a_link_uses_cannot_go_until_the_link_moves(proxy):
    client, topology = proxy
    client.create_device({"name": "side"})
    moved = client.patch_link("dns", {"device": "side"})
    assert moved["config"]["device"] == "side" and client.link("dns")["config"]["device"] == "side"
    with pytest.raises(ComponentError) as caught:
        client.delete_device("side")
    assert caught.value.status == 409 and "used by links dns" in str(caught.value)
    client.patch_link("dns", {"device": "border"})
    client.delete_device("side")
    assert set(topology.devices) == {"border"}


def test_a_bad_patch_names_its_problem(proxy):
    client, _ = proxy
    with pytest.raises(ComponentError) as caught:
        client.patch_device("border", {"downstream": {"bytes_per_second": -5}})
    assert caught.value.status == 400
    assert "downstream.bytes_per_second: expected a positive number, got -5" in str(caught.value)


def test_arrivals_over_a_window(proxy):
    client, _ = proxy
    now = time.time()
    answer = client.arrivals(now - 2, now)
    assert answer["slot_seconds"] == pytest.approx(0.1)
    assert 19 <= len(answer["slots"]) <= 21 and all(count == 0 for _, count in answer["slots"])  # nobody connected
    with pytest.raises(ComponentError, match="400: invalid arrivals query"):
        client.arrivals(now, now - 2)
