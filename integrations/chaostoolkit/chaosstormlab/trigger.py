"""The scaling trigger, as stormlab's timeline fires it (experiments/timeline.py): the new
clients boot together if asked (``fetch_on_start`` set before they start), a new membership
is announced (every watching client reconnects), the population grows ``surge_factor`` times,
and after the duration falls back to the baseline at once. Blocking: it returns when the
surge is over, so the method's next activity starts when the runner's "after" window does.
"""

from __future__ import annotations

import time
from numbers import Real

from chaoslib.exceptions import ActivityFailed

from chaosstormlab import clients, membership
from chaosstormlab.loadgen import LoadgenApi
from chaosstormlab.settings import Settings, scaled

BOOT_SPAWN_FACTOR = 20  # a booting surge starts at 20x its size per second: within ~50 ms
MAX_CLIENTS = 2000  # the scenario files' bound on a population


def fire(settings: Settings, surge_factor: float, duration_seconds: float, membership_of: str | None,
         boot_fetch: bool, baseline_clients: int | None, spawn_rate: float | None,
         time_scale: float | None) -> dict:
    _check(surge_factor, baseline_clients, spawn_rate, membership_of, boot_fetch)
    duration = scaled(duration_seconds, time_scale, settings, "duration_seconds")
    if duration <= 0:
        raise ActivityFailed(f"duration_seconds: expected a number of seconds > 0, got {duration_seconds!r}")
    loadgen = LoadgenApi(settings)
    baseline = baseline_clients or loadgen.client_count()
    if not baseline:
        raise ActivityFailed("no clients are running to surge from; expected the clients started first "
                             "(start_clients, or the control's clients) or baseline_clients given")
    surge = round(baseline * surge_factor)
    if surge > MAX_CLIENTS:
        raise ActivityFailed(f"surge_factor: {surge_factor:g} x {baseline} clients is {surge}; expected at "
                             f"most {MAX_CLIENTS} clients in all")
    boot = bool(boot_fetch) and surge > baseline
    rate = spawn_rate or (surge * BOOT_SPAWN_FACTOR if boot else surge)
    done = {"baseline_clients": baseline, "surge_clients": surge, "duration_seconds": duration,
            "boot_fetch": boot, "membership": None}
    if boot:  # before the spawn: every worker has it before any new client starts
        clients.set_setting(loadgen, "fetch_on_start", True)
    if membership_of:
        done["membership"] = membership.announce(settings, membership_of)
    if surge > baseline:
        loadgen.swarm(surge, rate)
    try:
        time.sleep(duration)
    finally:  # even when interrupted: the surge does not outlive the trigger
        if surge > baseline:
            loadgen.swarm(baseline, rate)  # every surge client stops at once
    return done


def _check(surge_factor, baseline_clients, spawn_rate, membership_of, boot_fetch) -> None:
    if isinstance(surge_factor, bool) or not isinstance(surge_factor, Real) or not 1 <= surge_factor <= 100:
        raise ActivityFailed(f"surge_factor: expected a number from 1 to 100 (the population grows this many "
                             f"times during the trigger; 1: no surge), got {surge_factor!r}")
    if baseline_clients is not None and (isinstance(baseline_clients, bool) or not isinstance(
            baseline_clients, int) or not 1 <= baseline_clients <= MAX_CLIENTS):
        raise ActivityFailed(f"baseline_clients: expected a whole number from 1 to {MAX_CLIENTS} (the "
                             "clients running before the trigger), or null to read it from locust, "
                             f"got {baseline_clients!r}")
    if spawn_rate is not None and (isinstance(spawn_rate, bool) or not isinstance(spawn_rate, Real)
                                   or spawn_rate <= 0):
        raise ActivityFailed(f"spawn_rate: expected a number of clients per second > 0, or null, "
                             f"got {spawn_rate!r}")
    if membership_of is not None and (not isinstance(membership_of, str) or not membership_of):
        raise ActivityFailed(f"membership: expected the name of a service (e.g. 'api') or null, "
                             f"got {membership_of!r}")
    if not isinstance(boot_fetch, bool):
        raise ActivityFailed(f"boot_fetch: expected true or false, got {boot_fetch!r}")
