"""Where one load-generator process stands, from its environment only: the device as it reaches
it and where its metrics are scraped; empty is unset, and every bad value is named at once."""

import pytest

from loadgen.config import Placement, load_placement
from stormlab_common.config import ConfigError


def test_unset_or_empty_means_the_stacks_own_view():
    assert load_placement({}) == Placement(None, None)
    assert load_placement({"STORMLAB_DEVICE_HOST": "", "STORMLAB_METRICS_ADVERTISE": ""}) == Placement(None, None)


def test_both_are_read():
    assert load_placement({"STORMLAB_DEVICE_HOST": "192.168.1.20",
                           "STORMLAB_METRICS_ADVERTISE": "192.168.1.31:9647"}) == Placement(
        "192.168.1.20", "192.168.1.31:9647")


def test_every_bad_value_is_named_with_its_variable():
    with pytest.raises(ConfigError) as refused:
        load_placement({"STORMLAB_DEVICE_HOST": "http://stack:8081", "STORMLAB_METRICS_ADVERTISE": "worker-7"})
    assert refused.value.problems == [
        "STORMLAB_DEVICE_HOST: expected a host name or IPv4 address (letters, digits, '.', '-', '_'; no scheme, "
        "port or path), got 'http://stack:8081'",
        "STORMLAB_METRICS_ADVERTISE: expected host:port, the address Prometheus scrapes this worker's metrics at "
        "(a host name or IPv4 address, a port 1-65535), got 'worker-7'"]
    assert str(refused.value).startswith("invalid placement settings:\n  STORMLAB_DEVICE_HOST: ")


@pytest.mark.parametrize("address", ["host:0", "host:65536", "host:", ":9646", "[::1]:9646", "a b:1"])
def test_an_advertised_address_is_host_and_port(address):
    with pytest.raises(ConfigError, match="STORMLAB_METRICS_ADVERTISE: expected host:port"):
        load_placement({"STORMLAB_METRICS_ADVERTISE": address})
