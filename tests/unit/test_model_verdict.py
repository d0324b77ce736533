"""The model's verdict rule on made-up goodput: the rule experiments/verdict.py applies."""

from model.inputs import Call, Clients, ModelInputs, Profile, Route, Rules, Trigger
from model.trace import Trace, rate_series
from model.verdict import judge
from stormlab_common.contracts.policies import NaiveParams
from stormlab_common.recovery import smoothed


def inputs(trigger=True, end=100.0, actions=()):
    clients = Clients(count=1, profiles=(Profile(NaiveParams()),), calls=(Call("c", "t"),))
    return ModelInputs("t", {}, {}, {"t": Route(None, None)}, clients, warmup=16.0, end=end,
                       trigger=Trigger(30.0, 15.0) if trigger else None, actions=actions,
                       rules=Rules(0.5, 30.0))


def trace(goodput) -> Trace:
    t = Trace(100)
    for second in range(100):
        t.counts["goodput"][second] = goodput(second)
    return t


def test_never_below_the_line_is_stable():
    assert judge(inputs(), trace(lambda s: 60 if s < 30 else 40)).verdict == "stable"


def test_back_within_the_allowance_and_for_good_is_recovered():
    verdict = judge(inputs(), trace(lambda s: 0 if 30 <= s < 60 else 60))
    assert verdict.verdict == "recovered"
    assert 60 <= verdict.recovered_at <= 70  # the 6 s rate and the 4 s mean lag the counts


def test_back_too_late_is_metastable():
    assert judge(inputs(), trace(lambda s: 0 if 30 <= s < 85 else 60)).verdict == "metastable"


def test_down_to_the_end_is_metastable():
    assert judge(inputs(), trace(lambda s: 60 if s < 30 else 2)).verdict == "metastable"


def test_without_a_trigger_a_fall_is_not_stable():
    assert judge(inputs(trigger=False), trace(lambda s: 60)).verdict == "stable"
    assert judge(inputs(trigger=False), trace(lambda s: 0 if 50 <= s < 60 else 60)).verdict == "metastable"


def test_series_as_prometheus_and_the_runner_see_them():
    rate = rate_series([6.0] * 10)
    assert rate[0] == (1.0, 6.0) and rate[-1] == (10.0, 6.0)
    assert smoothed([(1.0, 0.0), (2.0, 4.0), (3.0, 8.0)])[-1] == (3.0, 4.0)
