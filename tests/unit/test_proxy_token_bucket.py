"""The token bucket, exactly (a fake clock), and its promise as a property: over any
sequence of requests and clock steps, what it grants never exceeds rate x time + burst."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.token_bucket import GRANULARITY_SECONDS, TokenBucket


def test_starts_full_then_grants_at_the_rate():
    bucket = TokenBucket(rate=100.0, burst=50.0, now=0.0)
    assert bucket.take(50, now=0.0) == 0.0  # the burst
    assert bucket.take(10, now=0.0) == pytest.approx(0.1)  # 10 tokens at 100/s
    assert bucket.level(0.0) == 0.0  # a refusal takes nothing
    assert bucket.take(10, now=0.1) == 0.0
    assert bucket.level(10.0) == 50.0  # never more than the burst, however long it idles


def test_cannot_ask_for_more_than_the_burst():
    with pytest.raises(ValueError, match="at most 50"):
        TokenBucket(rate=100.0, burst=50.0, now=0.0).take(51, now=0.0)


def test_reconfigure_keeps_earned_tokens_and_caps_them_at_the_new_burst():
    bucket = TokenBucket(rate=10.0, burst=100.0, now=0.0)
    bucket.take(100, now=0.0)
    bucket.reconfigure(rate=1000.0, burst=20.0, now=1.0)  # 10 tokens earned at the old rate
    assert bucket.level(1.0) == 10.0
    assert bucket.level(1.01) == 20.0  # new rate, new cap


def test_a_clock_that_steps_back_earns_nothing():
    bucket = TokenBucket(rate=10.0, burst=10.0, now=5.0)
    bucket.take(10, now=5.0)
    assert bucket.level(4.0) == 0.0
    assert bucket.level(5.5) == pytest.approx(5.0)


@pytest.mark.parametrize("rate,burst", [(0, 1), (1, 0), (-1, 1)])
def test_rate_and_burst_must_be_positive(rate, burst):
    with pytest.raises(ValueError):
        TokenBucket(rate=rate, burst=burst, now=0.0)


steps = st.lists(st.tuples(st.floats(min_value=0, max_value=2.0),  # clock advance
                           st.floats(min_value=0.001, max_value=1.0)),  # request, as a share of burst
                 min_size=1, max_size=200)


@settings(max_examples=300, deadline=None)
@given(rate=st.floats(min_value=0.1, max_value=1e9), burst=st.floats(min_value=1.0, max_value=1e7),
       steps=steps)
def test_grants_never_exceed_rate_times_time_plus_burst(rate, burst, steps):
    bucket = TokenBucket(rate, burst, now=0.0)
    now = granted = 0.0
    for advance, share in steps:
        now += advance
        amount = share * burst
        if bucket.take(amount, now) == 0.0:
            granted += amount
        # the carried debt is under one timer tick's worth of tokens; add float slack
        assert granted <= (rate * (now + GRANULARITY_SECONDS) + burst) * (1 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(min_value=0.1, max_value=1e9), burst=st.floats(min_value=1.0, max_value=1e7),
       share=st.floats(min_value=0.001, max_value=1.0), start=st.floats(min_value=0, max_value=100))
def test_waiting_the_time_it_names_is_enough(rate, burst, share, start):
    bucket = TokenBucket(rate, burst, now=start)
    bucket.take(burst, start)
    wait = bucket.take(share * burst, start)
    if wait > 0:  # (a wait under a microsecond is granted at once)
        assert bucket.take(share * burst, start + wait) == 0.0


def test_a_limit_switched_off_and_on_gets_no_bucket_then_a_full_one():
    from proxy.token_bucket import bucket_for

    assert bucket_for(None, None, 10, now=0.0) is None
    bucket = bucket_for(None, 10.0, 10.0, now=0.0)
    bucket.take(10, now=0.0)
    same = bucket_for(bucket, 20.0, 10.0, now=0.5)  # retuned: keeps its 5 earned tokens
    assert same is bucket and same.level(0.5) == 5.0
    assert bucket_for(bucket, None, 10.0, now=1.0) is None


def test_a_charge_spends_into_bounded_debt_and_takers_wait_until_it_is_repaid():
    bucket = TokenBucket(rate=1000, burst=500, now=0.0)
    bucket.charge(800, now=0.0)  # 500 held, 800 spent: 300 in debt
    assert bucket.level(0.0) == -300
    assert bucket.take(100, now=0.0) == pytest.approx(0.4)  # repay 300, then earn 100
    assert bucket.take(100, now=0.4) == 0.0
    bucket.charge(10_000, now=0.4)  # a flood of work: the debt stops at one burst
    assert bucket.level(0.4) == -500
    assert bucket.take(500, now=0.4) == pytest.approx(1.0)  # the flood is over within a second
