"""The one way the runner waits: read at a fixed pace until done, or the time is up."""

import time

import pytest

from experiments.waiting import poll


def counter(answers):
    reads = []

    def read():
        reads.append(time.monotonic())
        return answers[min(len(reads), len(answers)) - 1]

    return read, reads


def test_reads_until_done_at_its_pace():
    read, reads = counter([1, 2, 3])
    started = time.monotonic()
    assert poll(read, lambda n: n == 3, timeout=5, every=0.1, timed_out=pytest.fail) == 3
    assert len(reads) == 3
    assert 0.2 - 0.02 <= time.monotonic() - started < 0.2 + 1.0  # two pauses of 0.1 s


def test_done_at_once_does_not_wait():
    read, reads = counter([True])
    poll(read, bool, timeout=5, every=10, timed_out=pytest.fail)
    assert len(reads) == 1


def test_time_up_hands_the_last_answer_to_timed_out():
    read, reads = counter([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    started = time.monotonic()
    assert poll(read, lambda n: False, timeout=0.25, every=0.1, timed_out=lambda last: ("late", last)) == (
        "late", len(reads))
    assert 0.25 <= time.monotonic() - started < 0.25 + 0.1 + 1.0


def test_time_up_may_raise():
    def give_up(last):
        raise TimeoutError(f"still {last}")

    with pytest.raises(TimeoutError, match="still 0"):
        poll(lambda: 0, bool, timeout=0.05, every=0.01, timed_out=give_up)


def test_an_error_while_reading_is_raised_at_once():
    reads = []

    def read():
        reads.append(1)
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError, match="refused"):
        poll(read, bool, timeout=5, every=0.01, timed_out=pytest.fail)
    assert len(reads) == 1


def test_the_pause_is_tenacitys_sleep_and_may_be_replaced():
    slept = []
    read, _ = counter([0, 0, 1])
    poll(read, bool, timeout=5, every=0.5, timed_out=pytest.fail, sleep=slept.append)
    assert slept == [0.5, 0.5]
