"""The scheduler's decisions, exact on a fake clock: capacity, queue bound, admission
control, deadlines, first-attempt priority, live reconfiguration."""

import pytest

from services.config import config_from
from services.job import Job
from services.scheduler import (
    ADMISSION,
    CODEL,
    DEADLINE_EXPIRED,
    DISPLACED,
    QUEUE_FULL,
    QUEUED,
    SHUTTING_DOWN,
    START,
    Scheduler,
)


class FakeClock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


def live(workers=2, queue_limit=3, service_time=0.1, discipline="fifo", **mitigations):
    return config_from({
        "name": "api", "replica": "r1",
        "capacity": {"workers": workers, "queue_limit": queue_limit},
        "work": {"service_time_seconds": service_time},
        "queue": {"discipline": discipline},
        "mitigations": {name: {"enabled": True, **settings} for name, settings in mitigations.items()},
    })


@pytest.fixture
def clock():
    return FakeClock()


def job(clock, attempt=1, deadline_seconds=None):
    return Job("work", attempt, arrived_at=clock.now,
               deadline_at=None if deadline_seconds is None else clock.now + deadline_seconds)


def test_workers_first_then_the_bounded_queue(clock):
    scheduler = Scheduler(live(workers=2, queue_limit=3), clock)
    arrivals = [job(clock) for _ in range(6)]
    verdicts = [scheduler.arrive(j)[0][1] for j in arrivals]
    assert verdicts == [START, START, QUEUED, QUEUED, QUEUED, QUEUE_FULL]
    assert (scheduler.busy, scheduler.queued) == (2, 3)
    clock.now += 0.1
    assert scheduler.release() == [(arrivals[2], START)]  # FIFO: the oldest queued
    assert (scheduler.busy, scheduler.queued) == (2, 2)


def test_lifo_hands_the_newest_to_a_freed_worker(clock):
    scheduler = Scheduler(live(workers=1, discipline="lifo"), clock)
    arrivals = [job(clock) for _ in range(4)]
    for j in arrivals:
        scheduler.arrive(j)
    assert scheduler.release() == [(arrivals[3], START)]


def test_admission_control_rejects_when_the_expected_wait_exceeds_the_bound(clock):
    # 2 workers at 0.1 s: a newcomer with n queued ahead expects (n + 1) * 0.05 s.
    scheduler = Scheduler(live(workers=2, queue_limit=100,
                               admission_control={"max_queue_delay_seconds": 0.2}), clock)
    verdicts = [scheduler.arrive(job(clock))[0][1] for _ in range(8)]
    # Two start; queued ones expect 0.05, 0.10, 0.15, 0.20 (at the bound: admitted); the next 0.25.
    assert verdicts == [START, START, QUEUED, QUEUED, QUEUED, QUEUED, ADMISSION, ADMISSION]
    assert scheduler.queued == 4


def test_without_admission_control_the_queue_grows_to_its_limit(clock):
    scheduler = Scheduler(live(workers=2, queue_limit=100), clock)
    verdicts = [scheduler.arrive(job(clock))[0][1] for _ in range(8)]
    assert verdicts.count(QUEUED) == 6


def test_deadlines_are_ignored_unless_propagation_is_on(clock):
    scheduler = Scheduler(live(workers=1), clock)
    scheduler.arrive(job(clock))
    waiting = job(clock, deadline_seconds=0.05)
    assert scheduler.arrive(waiting) == [(waiting, QUEUED)]
    clock.now += 0.1  # its client gave up 50 ms ago; served all the same (wasted work)
    assert scheduler.release() == [(waiting, START)]


def test_deadline_propagation_drops_work_whose_client_gave_up(clock):
    scheduler = Scheduler(live(workers=1, deadline_propagation={}), clock)
    scheduler.arrive(job(clock))
    expiring, patient = job(clock, deadline_seconds=0.05), job(clock, deadline_seconds=1.0)
    scheduler.arrive(expiring)
    scheduler.arrive(patient)
    clock.now += 0.1
    assert scheduler.release() == [(expiring, DEADLINE_EXPIRED), (patient, START)]
    late = job(clock, deadline_seconds=0.0)  # already out of time on arrival
    assert scheduler.arrive(late) == [(late, DEADLINE_EXPIRED)]


def test_first_attempts_go_before_retries_and_push_them_out_of_a_full_queue(clock):
    scheduler = Scheduler(live(workers=1, queue_limit=2, first_attempt_priority={}), clock)
    scheduler.arrive(job(clock))
    retry_a, retry_b = job(clock, attempt=2), job(clock, attempt=3)
    scheduler.arrive(retry_a)
    scheduler.arrive(retry_b)
    first = job(clock, attempt=1)
    assert scheduler.arrive(first) == [(retry_b, DISPLACED), (first, QUEUED)]  # FIFO evicts its newest
    another_retry = job(clock, attempt=2)
    assert scheduler.arrive(another_retry) == [(another_retry, QUEUE_FULL)]  # retries push out nothing
    assert scheduler.release() == [(first, START)]  # queued after retry_a, served before it
    assert scheduler.release() == [(retry_a, START)]


def test_without_priority_retries_keep_their_place(clock):
    scheduler = Scheduler(live(workers=1, queue_limit=2), clock)
    scheduler.arrive(job(clock))
    retry = job(clock, attempt=2)
    scheduler.arrive(retry)
    first = job(clock)
    scheduler.arrive(first)
    assert scheduler.release() == [(retry, START)]


def test_priority_counts_only_first_attempts_ahead_for_admission(clock):
    scheduler = Scheduler(live(workers=1, queue_limit=100, first_attempt_priority={},
                               admission_control={"max_queue_delay_seconds": 0.25}), clock)
    scheduler.arrive(job(clock))
    assert [scheduler.arrive(job(clock, attempt=2))[0][1] for _ in range(3)] == [QUEUED, QUEUED, ADMISSION]
    assert scheduler.arrive(job(clock))[0][1] == QUEUED  # nothing ahead of it in its lane


def test_codel_queue_sheds_a_standing_queue(clock):
    scheduler = Scheduler(live(workers=1, queue_limit=100, discipline="codel"), clock)
    scheduler.arrive(job(clock))
    old = job(clock)
    scheduler.arrive(old)
    clock.now += 0.15  # the queue has stood for longer than the 100 ms interval
    new = job(clock)
    scheduler.arrive(new)
    clock.now += 0.004
    assert scheduler.release() == [(old, CODEL), (new, START)]


def test_live_changes_take_effect_and_keep_the_queue(clock):
    scheduler = Scheduler(live(workers=1, queue_limit=10), clock)
    arrivals = [job(clock) for _ in range(4)]
    for j in arrivals:
        scheduler.arrive(j)
    verdicts = scheduler.reconfigure(live(workers=3, queue_limit=10, discipline="lifo"))
    assert verdicts == [(arrivals[3], START), (arrivals[2], START)]  # two more workers, newest first
    assert (scheduler.busy, scheduler.queued) == (3, 1)


def test_after_stop_accepting_newcomers_are_refused_and_the_queue_still_served(clock):
    scheduler = Scheduler(live(workers=1), clock)
    scheduler.arrive(job(clock))
    queued = job(clock)
    scheduler.arrive(queued)
    scheduler.stop_accepting()
    late = job(clock)
    assert scheduler.arrive(late) == [(late, SHUTTING_DOWN)]
    assert scheduler.release() == [(queued, START)]
