"""Attempts counted per 0.1 s slot of an injected wall clock: slot arithmetic, first tries apart
from retries, what a worker takes to ship, what a master adds up, and what is kept."""

from loadgen.attempt_timeline import KEEP_SLOTS, AttemptTimeline, closes, slot_of, slots_to, start_of


class Clock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


def timeline(now=100.0):
    clock = Clock(now)
    return AttemptTimeline(clock), clock


def record_at(timeline_, clock, at, *attempts):
    clock.now = at
    for attempt in attempts:
        timeline_.record(attempt)


def test_a_slot_is_a_tenth_of_a_second_and_boundaries_open_the_next_one():
    assert [slot_of(t) for t in (100.0, 100.05, 100.0999, 100.1, 100.3, 1700000000.3)] == [
        1000, 1000, 1000, 1001, 1003, 17000000003]  # 100.3 / 0.1 is 1002.9999...
    assert [slots_to(t) for t in (100.3, 100.31, 100.0)] == [1003, 1004, 1000]
    assert [start_of(i) for i in (1003, 17000000003)] == [100.3, 1700000000.3]


def test_attempts_count_in_the_slot_they_were_sent_in_first_tries_apart_from_retries():
    t, clock = timeline()
    record_at(t, clock, 100.02, 1, 1, 2)
    record_at(t, clock, 100.09, 3)
    record_at(t, clock, 100.25, 1, 5)
    assert t.window(100.0, 100.4) == [[100.0, 2, 2], [100.1, 0, 0], [100.2, 1, 1], [100.3, 0, 0]]


def test_a_window_has_every_slot_touching_it_zeros_included_and_the_future_too():
    t, clock = timeline()
    record_at(t, clock, 100.15, 1)
    # from the slot holding since to the last one starting before until
    assert t.window(100.05, 100.25) == [[100.0, 0, 0], [100.1, 1, 0], [100.2, 0, 0]]
    assert t.window(100.1, 100.2) == [[100.1, 1, 0]]
    assert len(t.window(100.0, 160.0)) == 600
    assert t.window(200.0, 200.3) == [[200.0, 0, 0], [200.1, 0, 0], [200.2, 0, 0]]


def test_only_slots_that_have_ended_are_taken_and_each_only_once():
    t, clock = timeline()
    record_at(t, clock, 100.05, 1)
    record_at(t, clock, 100.15, 2)
    assert t.take_closed() == [[1000, 1, 0]]  # 100.1-100.2 is still open
    assert t.take_closed() == []
    clock.now = 100.2  # the moment it ends
    assert t.take_closed() == [[1001, 0, 1]]
    assert t.window(100.0, 100.2) == [[100.0, 0, 0], [100.1, 0, 0]]  # taken: gone from here


def test_a_wall_clock_stepping_back_never_reopens_a_slot_already_taken():
    t, clock = timeline()
    record_at(t, clock, 100.25, 1)
    assert t.take_closed() == []  # its slot, 100.2-100.3, has not ended
    clock.now = 100.3
    assert t.take_closed() == [[1002, 1, 0]]
    record_at(t, clock, 100.12, 1, 2)  # NTP stepped the clock back into taken slots
    assert t.take_closed() == []  # counted in 1003, the first not taken, which has not ended
    clock.now = 100.4
    assert t.take_closed() == [[1003, 1, 1]]


def test_closed_through_is_the_start_of_the_current_slot():
    t, clock = timeline(100.37)
    assert t.closed_through() == 100.3
    clock.now = 100.4
    assert t.closed_through() == 100.4


def test_a_master_adds_up_its_workers_slots():
    one, one_clock = timeline()
    two, two_clock = timeline()
    master, master_clock = timeline()
    record_at(one, one_clock, 100.05, 1, 2)
    record_at(two, two_clock, 100.07, 1, 1, 1)
    record_at(two, two_clock, 100.11, 4)
    one_clock.now = two_clock.now = master_clock.now = 100.2
    master.merge(one.take_closed())
    master.merge(two.take_closed())
    assert master.window(100.0, 100.2) == [[100.0, 4, 1], [100.1, 0, 1]]
    record_at(one, one_clock, 100.25, 1)
    one_clock.now = 100.3
    master.merge(one.take_closed())
    master.merge([])  # a heartbeat
    assert master.window(100.0, 100.3) == [[100.0, 4, 1], [100.1, 0, 1], [100.2, 1, 0]]


def test_only_the_last_600_seconds_are_kept_and_memory_stays_bounded():
    t, clock = timeline()
    record_at(t, clock, 100.05, 1)
    clock.now = 700.05  # the slot of 100.0 is exactly 600 s before the current one: still kept
    assert t.kept_since() == 100.0 and t.window(100.0, 100.1) == [[100.0, 1, 0]]
    clock.now = 700.1
    assert t.kept_since() == 100.1
    assert t.window(100.0, 100.1) == [[100.0, 0, 0]]
    t.merge([[1000, 5, 5], [1001, 1, 0]])  # a late message: only what is still kept is added
    assert t.window(100.0, 100.2) == [[100.0, 0, 0], [100.1, 1, 0]]
    # an attempt in every slot for 20 minutes: never more than 600 s of slots held
    for i in range(12000):
        record_at(t, clock, 800.05 + i / 10, 1)
        assert t.slots_held() <= KEEP_SLOTS + 1
    assert t.slots_held() == KEEP_SLOTS + 1


def test_closes_tells_whether_a_process_counted_a_whole_window():
    assert closes(100.5, 100.5) and closes(100.5, 100.45) and closes(100.6, 100.5)
    assert not closes(100.4, 100.45)  # the slot 100.4-100.5 touches the window and has not ended
    assert not closes(100.5, 100.51)
    assert closes(1700000000.3, 1700000000.3)
