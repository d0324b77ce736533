"""How many clients the operators' actions leave, replayed through each action's own apply,
and the sentence that reads a recovery against them."""

from experiments.population import Cut, client_cuts, fewer_clients, is_full, share_running
from stormlab_common.scenario import parse_scenario

BASE = {"name": "p", "description": "d", "expect": {"verdict": "recovered", "reasoning": "r"},
        "clients": {"count": 40}}


def scenario(*actions):
    return parse_scenario({**BASE, "timeline": {"warmup": 10, "trigger": {"at": 20, "duration": 10},
                                                "actions": list(actions), "end": 100}})


def test_each_cut_is_counted_from_the_clients_the_last_one_left():
    s = scenario({"at": 40, "name": "cut", "do": "disable_sources", "fraction": 0.25},
                 {"at": 40, "do": "switch_policy", "policy": {"name": "none"}},
                 {"at": 50, "name": "again", "do": "disable_sources", "fraction": 0.5})
    assert client_cuts(s) == [Cut("cut", 40, 40, 30), Cut("again", 50, 30, 15)]
    assert client_cuts(s, until=45) == [Cut("cut", 40, 40, 30)]
    assert (share_running(s, until=39), share_running(s, until=45), share_running(s)) == (1.0, 0.75, 0.375)
    assert fewer_clients(s, 0.36) == ("goodput back at 36% of baseline: cut at 40 s left 30 of the 40 clients; "
                                      "again at 50 s left 15 of the 30 clients, so 38% of baseline is full "
                                      "recovery for the clients left")


def test_without_a_cut_full_means_the_baseline_and_nothing_is_said():
    s = scenario({"at": 40, "do": "switch_policy", "policy": {"name": "none"}})
    assert client_cuts(s) == [] and fewer_clients(s, 0.5) is None
    assert is_full(0.9, s) and not is_full(0.89, s)
