"""The burst probe: sub-second attempt rates from the proxy's counter."""

import http.server
import threading
import time
import urllib.parse

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest

from experiments.burst_probe import COUNTER_QUERY, BurstProbe, burst_figures, rate_per_bin, total_arrivals
from stormlab_common import metric_names as names


def exposition(per_link: dict[tuple[str, str], float]) -> str:
    registry = CollectorRegistry()
    counter = Counter(names.PROXY_CONNECTION_ARRIVALS.removesuffix("_total"), "arrivals",
                      ["device", "link"], registry=registry)
    Counter("stormlab_proxy_connection_attempts", "decisions", ["device"], registry=registry).labels("border").inc(99)
    for (device, link), value in per_link.items():
        counter.labels(device, link).inc(value)
    return generate_latest(registry).decode()


def test_total_arrivals_sums_the_links_of_one_device_or_all_and_nothing_else():
    text = exposition({("border", "api"): 30, ("border", "dns"): 12, ("dns-path", "dns"): 5})
    assert total_arrivals(text, "border") == 42
    assert total_arrivals(text) == 47
    assert total_arrivals(text, "nowhere") == 0


def test_a_steady_counter_gives_the_same_rate_in_every_bin():
    samples = [(round(0.1 * i, 3), 40.0 * 0.1 * i) for i in range(21)]  # 40 attempts/s for 2 s
    bins = rate_per_bin(samples, 0.25)
    assert len(bins) == 8
    assert all(rate == pytest.approx(40.0) for _, rate in bins)
    assert burst_figures(bins)["peak_to_mean"] == pytest.approx(1.0)


def test_a_wave_shows_as_a_peak_well_above_the_mean():
    # 10 attempts/s, and 50 attempts in one 100 ms read interval: a synchronized wave
    samples, total = [], 0.0
    for i in range(31):
        samples.append((round(0.1 * i, 3), total))
        total += 1.0 + (50.0 if i == 15 else 0.0)
    figures = burst_figures(rate_per_bin(samples, 0.25))
    assert figures["peak"] > 150  # 51 attempts inside one 250 ms bin is ~200/s
    assert figures["peak_to_mean"] > 4


def test_irregular_reads_are_interpolated_and_a_counter_reset_is_not_negative():
    samples = [(0.0, 0.0), (0.13, 13.0), (0.5, 50.0), (0.52, 2.0), (1.0, 50.0)]  # reset at 0.52
    bins = rate_per_bin(samples, 0.25)
    assert [t for t, _ in bins] == [0.0, 0.25, 0.5, 0.75]
    assert all(rate >= 0 for _, rate in bins)
    assert bins[0][1] == pytest.approx(100.0)


def test_too_few_samples_give_no_bins_and_no_figures():
    assert rate_per_bin([(0.0, 1.0)]) == []
    assert burst_figures([]) == {"peak": None, "mean": None, "peak_to_mean": None}


class CountingHandler(http.server.BaseHTTPRequestHandler):
    """A fake proxy whose counter grows by 3 on every read; fails every fifth read."""

    reads = 0
    paths: list[str] = []

    def do_GET(self):
        type(self).reads += 1
        type(self).paths.append(self.path)
        if self.reads % 5 == 0:
            self.send_error(503)
            return
        body = exposition({("border", "api"): 3.0 * self.reads}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_proxy():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    CountingHandler.reads, CountingHandler.paths = 0, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_probe_samples_a_real_endpoint_until_its_window_ends_and_skips_failed_reads(fake_proxy):
    import requests

    started = time.monotonic()
    probe = BurstProbe(lambda: requests.get(fake_proxy + COUNTER_QUERY, timeout=1).text,
                       lambda: time.monotonic() - started, device="border", interval=0.05)
    probe.start(0.6)
    time.sleep(1.2)  # well past the window: the probe must have stopped by itself
    reads_after_window = CountingHandler.reads
    time.sleep(0.2)
    assert CountingHandler.reads == reads_after_window, "the probe kept reading after its window"
    assert 6 <= reads_after_window <= 13, reads_after_window  # 0.6 s at 50 ms, with slack for a slow CI
    assert probe.failures == reads_after_window // 5
    samples = probe.samples()
    assert len(samples) == reads_after_window - probe.failures
    assert [t for t, _ in samples] == sorted(t for t, _ in samples)
    assert all(0 <= t <= 1.0 for t, _ in samples)
    assert urllib.parse.unquote(CountingHandler.paths[0]) == f"/metrics?name[]={names.PROXY_CONNECTION_ARRIVALS}"
    probe.stop()


def test_stop_ends_the_probe_early():
    probe = BurstProbe(lambda: exposition({}), lambda: 0.0, interval=0.05)
    probe.start(30)
    time.sleep(0.1)
    began = time.monotonic()
    probe.stop()
    assert time.monotonic() - began < 1.0
