"""When attempts were sent and when connections reached the device, per 100 ms.

What jitter changes is when retries come, not how many. Prometheus scrapes every 2 s and the
runner rates over 6 s, so a wave of retries fired in the same 100 ms is smoothed into a
plateau there. Two components therefore keep their own record per 100 ms slot of wall-clock
time (stormlab_common/time_slots.py), and the runner reads both once the run is over:

- the load generator: attempts its clients sent, first tries and retries apart
  (``GET /stormlab/attempts``, docs/clients.md);
- the proxy: connections that arrived at the device, timed by the kernel's handshake rather
  than by when the proxy's busy event loop accepted them (``GET /arrivals``, docs/proxy.md).
  Accept times would show the 2-core machine's rhythm: at the storm's rates the proxy
  accepts in batches.

Series, in events/s per slot, seconds since the run began: ``first_tries_sent_fine``,
``retries_sent_fine``, ``connection_arrivals_fine``.

The boot wave's first tries are the same whatever the policy; the retries of those that
failed together are what a policy shapes. ``retry_wave_start`` finds where they begin, so
the figures compare retry waves, not boot waves.
"""

from __future__ import annotations

import math

Series = list[tuple[float, float]]

FIRST_TRIES = "first_tries_sent_fine"
RETRIES = "retries_sent_fine"
ARRIVALS = "connection_arrivals_fine"
# The retry wave has begun at the first slot whose retries reach this share of the busiest
# slot that follows: low enough to catch a spread-out wave's start, high enough that a few
# stray retries of the baseline clients before it do not count.
WAVE_START_SHARE = 0.2


def attempts_series(answer: dict, started_wall: float) -> dict[str, Series]:
    """The load generator's ``GET /stormlab/attempts`` answer -> first tries and retries."""
    slot = _slot_seconds(answer)
    first: Series = []
    retries: Series = []
    for start, first_count, retry_count in answer["slots"]:
        t = round(float(start) - started_wall, 3)
        first.append((t, first_count / slot))
        retries.append((t, retry_count / slot))
    return {FIRST_TRIES: first, RETRIES: retries} if first else {}


def arrivals_series(answer: dict, started_wall: float) -> dict[str, Series]:
    """The proxy's ``GET /arrivals`` answer -> connection arrivals at the device."""
    slot = _slot_seconds(answer)
    arrivals = [(round(float(start) - started_wall, 3), count / slot) for start, count in answer["slots"]]
    return {ARRIVALS: arrivals} if arrivals else {}


def _slot_seconds(answer: dict) -> float:
    # counts become rates over the slot, so the series read like the others (per second)
    slot = answer.get("slot_seconds")
    if not isinstance(slot, (int, float)) or not (math.isfinite(slot) and slot > 0):
        raise ValueError(f"slot_seconds must be a positive number, got {slot!r}")
    return float(slot)


def retry_wave_start(retries: Series, window: tuple[float, float]) -> float | None:
    """The first slot in ``window`` whose retries reach WAVE_START_SHARE of the window's
    busiest slot; None when no retries were sent in it."""
    start, end = window
    inside = [(t, rate) for t, rate in retries if start <= t < end and math.isfinite(rate)]
    peak = max((rate for _, rate in inside), default=0.0)
    if peak <= 0:
        return None
    return next(t for t, rate in inside if rate >= WAVE_START_SHARE * peak)


def peak_figures(slots: Series) -> dict[str, float | None]:
    """The busiest slot's rate, the mean, and their ratio: about 1 to 2 for independent
    events; several times the mean when they come in synchronized waves."""
    rates = [rate for _, rate in slots if math.isfinite(rate)]
    if not rates:
        return {"peak": None, "mean": None, "peak_to_mean": None}
    peak, mean = max(rates), sum(rates) / len(rates)
    return {"peak": peak, "mean": mean, "peak_to_mean": peak / mean if mean > 0 else None}
