"""A Chaos Toolkit control that prepares the lab before the experiment and cleans up after it.

A steady-state hypothesis about the clients' goodput means something before the method only
if the baseline clients already run: so ``before_experiment_control`` does what the start of
a stormlab run does (experiments/lab.py, experiments/timeline.py): the device's limits and
the links, the clients' config (their profiles replacing the loadgen's), the clients started,
and a warm-up so Prometheus's rates cover them. The method then holds only the trigger and
the pauses; the rollbacks put the device back and stop the clients.

``after_experiment_control`` runs whatever happened (Chaos Toolkit skips the rollbacks of a
run that failed or was interrupted): it stops the clients and puts back what this run changed
and the rollbacks did not (``restore: false`` leaves the lab as it is, to look at).

    "controls": [{"name": "stormlab-lab", "provider": {"type": "python",
        "module": "chaosstormlab.control", "arguments": {
            "devices": {"border": {"connections": {"new_per_second": 100}}},
            "clients": {"count": 50, "spawn_rate": 50, "config": {...}},
            "warmup_seconds": 30}}}]
"""

import logging
import time
from collections.abc import Mapping

from chaoslib.exceptions import ActivityFailed, InterruptExecution
from chaoslib.types import Configuration, Experiment, Journal

from chaosstormlab import changes, promql
from chaosstormlab import clients as client_config
from chaosstormlab import settings as lab_settings
from chaosstormlab.loadgen import LoadgenApi
from chaosstormlab.prometheus import PrometheusApi
from chaosstormlab.proxy import ProxyApi

logger = logging.getLogger("chaostoolkit")

MIN_WARMUP_SECONDS = 10  # clients starting and the rate windows filling take as long at any scale
STOP_TIMEOUT = 15.0
DRAIN_TIMEOUT, DRAIN_POLL = 60.0, 1.0  # as the runner drains the previous run's traffic
CLIENT_KEYS = ("count", "spawn_rate", "config", "seed", "replace_profiles")
MAX_CLIENTS = 2000


def before_experiment_control(context: Experiment, devices: dict = None, links: dict = None,
                              clients: dict = None, warmup_seconds: float = 16, time_scale: float = None,
                              configuration: Configuration = None, **kwargs) -> None:
    """Prepares the lab; a lab it cannot prepare interrupts the experiment (status
    ``interrupted``), as a hypothesis measured on an unprepared lab would mislead."""
    try:
        settings = lab_settings.settings_from(configuration)
        wait = warmup_wait(warmup_seconds, time_scale, settings)
        proxy, loadgen = ProxyApi(settings), LoadgenApi(settings)
        for name, limits in _mapping(devices, "devices").items():
            _prepare_device(proxy, name, limits)
        for name, patch in _mapping(links, "links").items():
            changes.before_link_change(proxy, name)
            proxy.patch_link(name, patch)
        population = _population(clients)
        if population:
            _start_clients(settings, loadgen, population)
    except ActivityFailed as exc:
        raise InterruptExecution(f"stormlab control: could not prepare the lab: {exc}") from None
    if population:
        logger.info(f"stormlab: {population['count']} clients started; warming up for {wait:g} s")
        time.sleep(wait)


def after_experiment_control(context: Experiment, state: Journal = None, restore: bool = True,
                             configuration: Configuration = None, **kwargs) -> None:
    """Stops the clients, then (``restore``) puts back what this run changed that is still
    changed. Says what it could not do, as a warning: a control's failure never fails the run."""
    try:
        settings = lab_settings.settings_from(configuration)
        proxy, loadgen = ProxyApi(settings), LoadgenApi(settings)
        loadgen.stop()
        _wait_stopped(loadgen)
        if restore and changes.pending(proxy, loadgen):
            done = changes.restore_proxy(proxy)["restored"]
            done += changes.restore_clients_config(loadgen)["restored"]
            logger.info("stormlab: put back what the rollbacks had not: " + "; ".join(done))
    except ActivityFailed as exc:
        logger.warning(f"stormlab control: after the experiment: {exc}")


def warmup_wait(warmup_seconds, time_scale, settings) -> float:
    """The warm-up at the time scale, as the runner scales it: never below 10 s (or the
    warm-up itself, if shorter)."""
    scaled = lab_settings.scaled(warmup_seconds, time_scale, settings, "warmup_seconds")
    return max(scaled, min(float(warmup_seconds), MIN_WARMUP_SECONDS))


def _prepare_device(proxy: ProxyApi, name: str, limits) -> None:
    if not isinstance(limits, Mapping):
        raise ActivityFailed(f"devices.{name}: expected a mapping (a merge patch of the device), "
                             f"got {limits!r}")
    found = changes.before_device_change(proxy, name)
    if found is None:  # as a scenario's topology.devices: a device the stack lacks is created
        proxy.create_device(name, dict(limits))
    elif limits:
        proxy.patch_device(name, dict(limits))


def _population(given) -> dict | None:
    if given is None:
        return None
    if not isinstance(given, Mapping):
        raise ActivityFailed(f"clients: expected a mapping of {', '.join(CLIENT_KEYS)}, got {given!r}")
    unknown = sorted(set(given) - set(CLIENT_KEYS))
    if unknown:
        raise ActivityFailed(f"clients: unknown key(s) {', '.join(unknown)}; expected some of "
                             f"{', '.join(CLIENT_KEYS)}")
    count, rate = given.get("count"), given.get("spawn_rate", 100)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CLIENTS:
        raise ActivityFailed(f"clients.count: expected a whole number of clients from 1 to {MAX_CLIENTS}, "
                             f"got {count!r}")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
        raise ActivityFailed(f"clients.spawn_rate: expected a number of clients per second > 0, got {rate!r}")
    return {"count": count, "spawn_rate": rate, "config": given.get("config"), "seed": given.get("seed"),
            "replace_profiles": given.get("replace_profiles", True)}


def _start_clients(settings, loadgen: LoadgenApi, population: dict) -> None:
    loadgen.stop()  # a run starts from quiet, as the runner's: the warm-up measures only its own clients
    _wait_stopped(loadgen)
    _drain(PrometheusApi(settings))
    if population["config"] is not None or population["seed"] is not None:
        client_config.configure(loadgen, population["config"] or {}, population["seed"],
                                population["replace_profiles"])
    loadgen.swarm(population["count"], population["spawn_rate"])


def _drain(prometheus: PrometheusApi) -> None:
    """Until no attempt waits at the device and no request is in flight (a previous run's
    storm takes a few seconds to time out), at most DRAIN_TIMEOUT, then on with a warning."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while True:
        waiting = prometheus.value(f"sum({promql.PROXY_WAITING_CONNECTIONS})") or 0
        in_flight = prometheus.value(f"sum({promql.CLIENT_IN_FLIGHT})") or 0
        if waiting == 0 and in_flight == 0:
            return
        if time.monotonic() > deadline:
            logger.warning(f"stormlab: the stack did not drain in {DRAIN_TIMEOUT:g} s ({waiting:.0f} "
                           f"attempts waiting at the device, {in_flight:.0f} requests in flight); starting "
                           "anyway")
            return
        time.sleep(DRAIN_POLL)


def _wait_stopped(loadgen: LoadgenApi) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        stats = loadgen.stats()
        if stats.get("state") in ("ready", "stopped") and not stats.get("user_count"):
            return
        time.sleep(0.5)


def _mapping(value, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ActivityFailed(f"{what}: expected a mapping of names to merge patches, got {value!r}")
    return dict(value)
