"""The runtime's clients under a config that changes while they run (Runtime.reconfigure), on a
fake clock; no requests are sent."""

import itertools

from prometheus_client import CollectorRegistry

from loadgen.config import load_base
from loadgen.live_config import LiveConfig
from loadgen.runtime import Runtime

BASE = LiveConfig(load_base(env={}, overrides=["seed=7", "arrivals.process=periodic",
                                                     "arrivals.requests_per_second=2"]))


def config(patch):
    return BASE.check(patch)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def runtime(config=BASE.config):
    registry = CollectorRegistry()
    clock = Clock()
    return Runtime(config, registry, clock, clock.sleep), registry, clock


def active(registry, policy):
    return registry.get_sample_value("stormlab_client_active_clients", {"policy": policy})


def schedule(client, n=5):
    """A client's first ``n`` draws: what its arrivals and calls would be made of."""
    return [client.rng.random() for _ in range(n)]


def test_running_clients_switch_policy_and_the_gauge_follows():
    rt, registry, _ = runtime()
    clients = [rt.new_client() for _ in range(3)]
    assert active(registry, "none") == 3
    rt.reconfigure(config({"clients": {"default": {"policy": {"name": "full-jitter", "max_attempts": 4}}}}))
    assert active(registry, "none") == 0 and active(registry, "full-jitter") == 3
    assert {c.context.policy_name for c in clients} == {"full-jitter"}
    assert {c.context.policy.params.max_attempts for c in clients} == {4}
    rt.client_stopped(clients[0])
    assert active(registry, "full-jitter") == 2


def test_each_client_repicks_its_profile_by_weight_with_its_own_stream():
    rt, registry, _ = runtime()
    clients = [rt.new_client() for _ in range(200)]
    rt.reconfigure(config({"clients": {"default": None,
                                       "good": {"weight": 3, "policy": {"name": "retry-budget"}},
                                       "bad": {"weight": 1, "policy": {"name": "naive"}}}}))
    good, bad = active(registry, "retry-budget"), active(registry, "naive")
    assert good + bad == 200 and 120 <= good <= 180  # 3:1
    # each client drew from its own stream: the same clients, reconfigured again, pick the same
    picks = [c.context.policy_name for c in clients]
    twin, _, _ = runtime()
    twins = [twin.new_client() for _ in range(200)]
    twin.reconfigure(rt.config)
    assert [c.context.policy_name for c in twins] == picks


def test_requests_under_way_keep_the_context_they_started_with():
    rt, _, _ = runtime()
    client = rt.new_client()
    before = client.context  # what a request in flight holds
    policy, transport = before.policy, before.transport
    rt.reconfigure(config({"clients": {"default": {"policy": {"name": "naive"}}}}))
    assert client.context is not before
    assert before.policy is policy and before.policy_name == "none" and before.transport is transport


def test_the_transport_is_kept_unless_the_targets_or_connection_settings_change():
    rt, _, _ = runtime()
    client = rt.new_client()
    kept = client.context.transport
    rt.reconfigure(config({"arrivals": {"requests_per_second": 5}}))
    assert client.context.transport is kept  # no reconnection storm for an unrelated change
    closed = []
    kept.close = lambda: closed.append(True)
    rt.reconfigure(config({"targets": {"api": {"url": "http://127.0.0.1:9"}}}))
    assert client.context.transport is not kept and closed == [True]
    assert client.context.transport.settings[0] == {"api": "http://127.0.0.1:9"}
    moved = client.context.transport
    rt.reconfigure(config({"targets": {"api": {"url": "http://127.0.0.1:9"}},
                           "clients": {"default": {"policy": {"name": "naive"}}}}))  # one connection per attempt
    assert client.context.transport is not moved and client.context.transport.settings[1] is False


def test_the_attempt_cap_is_rebuilt_only_when_its_rate_changes():
    rt, _, _ = runtime()
    client = rt.new_client()
    cap = rt.cap
    rt.reconfigure(config({"arrivals": {"requests_per_second": 5}}))
    assert rt.cap is cap
    rt.reconfigure(config({"max_attempts_per_second": 10}))
    assert rt.cap is not cap and client.context.cap is rt.cap
    assert rt.cap._interval == 0.1


def test_numbering_restarts_when_no_client_runs_so_a_seeded_run_repeats():
    fresh, _, _ = runtime()
    expected = [schedule(fresh.new_client()) for _ in range(3)]
    rt, _, _ = runtime()
    for client in [rt.new_client() for _ in range(5)]:
        rt.client_stopped(client)
    rt.reconfigure(config({"arrivals": {"requests_per_second": 3}}))
    assert [schedule(rt.new_client()) for _ in range(3)] == expected


def test_numbering_goes_on_while_clients_run():
    rt, _, _ = runtime()
    first = rt.new_client()
    rt.reconfigure(config({"arrivals": {"requests_per_second": 3}}))
    fresh, _, _ = runtime()
    assert schedule(rt.new_client()) != schedule(fresh.new_client())  # not client 0 again
    assert first in rt._clients


def test_an_arrival_change_applies_from_the_clients_next_arrival():
    rt, _, clock = runtime()  # periodic, 2 per second
    arrivals = rt.arrivals(rt.new_client().rng)
    first = next(arrivals)
    assert 100.0 <= first < 100.5
    waiting_for = next(arrivals)  # the client sleeps until its next arrival ...
    assert round(waiting_for - first, 9) == 0.5
    clock.now = first + 0.2
    rt.reconfigure(config({"arrivals": {"requests_per_second": 10}}))  # ... the rate changes meanwhile ...
    clock.now = waiting_for  # ... it wakes and sends the arrival it was waiting for ...
    restarted = next(arrivals)  # ... and the next comes from a new schedule, from now
    assert waiting_for <= restarted < waiting_for + 0.1  # a random phase, then 0.1 s apart
    times = [restarted, *itertools.islice(arrivals, 3)]
    assert [round(b - a, 9) for a, b in itertools.pairwise(times)] == [0.1, 0.1, 0.1]


def test_a_change_elsewhere_leaves_the_schedule_alone():
    rt, _, _ = runtime()
    arrivals = rt.arrivals(rt.new_client().rng)
    times = [next(arrivals) for _ in range(2)]
    rt.reconfigure(config({"clients": {"default": {"policy": {"name": "fixed"}}}}))
    times += [next(arrivals) for _ in range(2)]
    assert [round(b - a, 9) for a, b in itertools.pairwise(times)] == [0.5, 0.5, 0.5]


def test_a_new_client_first_waits_for_the_config():
    rt, _, _ = runtime()
    waited = []
    rt.wait_for_config = lambda: waited.append(True)
    rt.new_client()
    assert waited == [True]


def test_a_stopped_client_is_no_longer_running_so_its_watcher_ends():
    rt, _registry, _clock = runtime()
    client = rt.new_client()
    assert rt.is_running(client)
    rt.client_stopped(client)
    assert not rt.is_running(client)


def test_every_client_reports_its_sends_to_the_process_hook_before_and_after_a_change():
    sends = []
    rt = Runtime(BASE.config, CollectorRegistry(), Clock(), Clock().sleep, on_send=sends.append)
    client = rt.new_client()
    client.context.on_send(1)
    rt.reconfigure(config({"clients": {"default": {"policy": {"name": "naive"}}}}))
    client.context.on_send(2)
    rt.new_client().context.on_send(3)
    assert sends == [1, 2, 3]
