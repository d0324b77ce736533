"""Sub-second samples of the connection attempts arriving at the device after the trigger.

Prometheus scrapes every 2 s and the runner rates over 6 s: a wave of retries that all fire
in the same 200 ms is smoothed into a plateau there. That wave is exactly what jitter
changes (it spreads retries out; it does not make fewer), so for a short window after the
trigger the runner reads the device's arrivals counter itself, ten times a second, straight
from the proxy's ``/metrics``, and records it as the ``connection_arrivals_fine`` series
(arrivals per second in consecutive bins). Arrivals, not the attempts counter: that one
moves when the device decides, and its admissions are paced by the setup rate, so it would
show the device's rhythm instead of the clients'.

The probe runs on a thread of its own, so the timeline's events are never late because of
it; a failed read is skipped and counted, never raised.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from stormlab_common import metric_names as names

SERIES = "connection_arrivals_fine"
SAMPLE_INTERVAL = 0.1  # s between reads of the counter
BIN_SECONDS = 0.25  # attempts are counted per bin: short enough to see a synchronized wave
LONGEST_WINDOW = 20.0  # s: the probe never outlives the part of the storm it is for
COUNTER_QUERY = f"/metrics?name[]={names.PROXY_CONNECTION_ARRIVALS}"


def total_arrivals(exposition: str, device: str | None = None) -> float:
    """The sum of the arrivals counter over the links of one device, or of all."""
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name != names.PROXY_CONNECTION_ARRIVALS:
                continue
            if device is None or sample.labels.get(names.DEVICE) == device:
                total += sample.value
    return total


Samples = list[tuple[float, float]]


def rate_per_bin(samples: Samples, bin_seconds: float = BIN_SECONDS) -> Samples:
    """(seconds, counter) samples -> (bin start, attempts/s in that bin).

    The counter is read at irregular moments, so each bin's increase is interpolated
    linearly between the reads around its edges; a counter that went down (a reset of the
    proxy's counters) starts afresh rather than counting negative attempts.
    """
    if len(samples) < 2:
        return []
    points = sorted(samples)
    adjusted, offset = [points[0]], 0.0
    for (_, before), (t, value) in itertools.pairwise(points):
        if value < before:
            offset += before
        adjusted.append((t, value + offset))
    start, end = adjusted[0][0], adjusted[-1][0]
    bins = []
    edge = start
    while edge + bin_seconds <= end + 1e-9:
        increase = _at(adjusted, edge + bin_seconds) - _at(adjusted, edge)
        bins.append((round(edge, 3), increase / bin_seconds))
        edge += bin_seconds
    return bins


def _at(points: Samples, t: float) -> float:
    for (t0, v0), (t1, v1) in itertools.pairwise(points):
        if t0 <= t <= t1:
            return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return points[-1][1] if t > points[-1][0] else points[0][1]


def burst_figures(bins: Samples) -> dict[str, float | None]:
    """Peak and mean attempts/s over the bins, and their ratio: 1 is perfectly even arrivals;
    a synchronized wave of retries shows as a peak several times the mean."""
    rates = [rate for _, rate in bins if math.isfinite(rate)]
    if not rates:
        return {"peak": None, "mean": None, "peak_to_mean": None}
    peak, mean = max(rates), sum(rates) / len(rates)
    return {"peak": peak, "mean": mean, "peak_to_mean": peak / mean if mean > 0 else None}


class BurstProbe:
    """Reads the device's attempt counter every ``interval`` seconds for ``duration`` seconds.

    ``fetch`` returns the proxy's metrics text; ``elapsed`` the run's clock (seconds since
    its start), so the samples line up with the Prometheus series of the same run.
    """

    def __init__(self, fetch: Callable[[], str], elapsed: Callable[[], float], *,
                 device: str | None = None, interval: float = SAMPLE_INTERVAL):
        self._fetch, self._elapsed, self._device, self._interval = fetch, elapsed, device, interval
        self._samples: Samples = []
        self._failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, duration: float) -> None:
        duration = max(0.0, min(duration, LONGEST_WINDOW))
        self._thread = threading.Thread(target=self._sample, args=(duration,), name="burst-probe",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def failures(self) -> int:
        return self._failures

    def samples(self) -> Samples:
        return list(self._samples)

    def series(self) -> Samples:
        return rate_per_bin(self._samples)

    def _sample(self, duration: float) -> None:
        deadline = time.monotonic() + duration
        while not self._stop.is_set() and time.monotonic() < deadline:
            began = time.monotonic()
            try:
                value = total_arrivals(self._fetch(), self._device)
                # the read's midpoint is when the counter most likely had this value
                self._samples.append((self._elapsed() - (time.monotonic() - began) / 2, value))
            except Exception:  # a slow or refused read in a storm is data lost, not a failed run
                self._failures += 1
            self._stop.wait(max(0.0, self._interval - (time.monotonic() - began)))
