"""Queue disciplines: FIFO and LIFO order, CoDel's standing-queue drops (exact, fake times)."""

from services.codel import CoDel
from services.disciplines import Fifo, Lifo
from services.job import Job


def jobs(count, at=0.0):
    return [Job("work", 1, arrived_at=at) for _ in range(count)]


def queued(discipline, items, now=0.0):
    for job in items:
        job.enqueued_at = now
        discipline.push(job, now)
    return discipline


def test_fifo_serves_oldest_first_and_evicts_newest():
    a, b, c = jobs(3)
    fifo = queued(Fifo(), [a, b, c])
    assert fifo.pop(1.0) == (a, [])
    assert fifo.evict() is c
    assert fifo.pop(1.0) == (b, [])
    assert fifo.pop(1.0) == (None, [])


def test_lifo_serves_newest_first_and_evicts_oldest():
    a, b, c = jobs(3)
    lifo = queued(Lifo(), [a, b, c])
    assert lifo.pop(1.0) == (c, [])
    assert lifo.evict() is a
    assert lifo.drain() == [b]
    assert len(lifo) == 0


def push_at(codel, job, now):
    job.enqueued_at = now
    codel.push(job, now)


def test_codel_allows_the_long_interval_while_the_queue_is_not_standing():
    codel = CoDel(target_seconds=0.005, interval_seconds=0.1, now=0.0)
    a, b = jobs(2)
    push_at(codel, a, 1.0)  # the queue was empty: not standing
    assert a.queue_timeout == 0.1
    push_at(codel, b, 1.05)  # non-empty for 50 ms < interval
    assert b.queue_timeout == 0.1
    assert codel.pop(1.09) == (a, [])  # waited 90 ms: within the interval


def test_codel_drops_what_waited_past_target_once_the_queue_stands():
    codel = CoDel(target_seconds=0.005, interval_seconds=0.1, now=0.0)
    a, b, c = jobs(3)
    push_at(codel, a, 1.0)
    push_at(codel, b, 1.1)  # the queue has not been empty for a whole interval: standing
    assert b.queue_timeout == 0.005
    push_at(codel, c, 1.2)
    # At 1.204 a waited 204 ms (> 100 ms), b 104 ms (> 5 ms): both dropped; c waited 4 ms.
    assert codel.pop(1.204) == (c, [a, b])
    # Empty again: the next arrival gets the long bound back.
    d = jobs(1)[0]
    push_at(codel, d, 1.3)
    assert d.queue_timeout == 0.1


def test_codel_pop_of_only_expired_jobs_returns_none():
    codel = CoDel(target_seconds=0.005, interval_seconds=0.1, now=0.0)
    (a,) = jobs(1)
    push_at(codel, a, 0.0)
    assert codel.pop(0.5) == (None, [a])
