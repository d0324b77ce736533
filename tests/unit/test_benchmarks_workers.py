"""bench-workers' pure parts: the figures from the master's window and the workers' counters,
the table, the CPU readings, the quiet-machine wait, and the settings every process runs."""

import pytest

from benchmarks.markdown import markdown_table
from benchmarks.workers_bench import cpu
from benchmarks.workers_bench.cases import CASES
from benchmarks.workers_bench.figures import (
    DROPPED,
    Measured,
    per_second_spread,
    rows,
    sent_per_second,
    worker_counts,
    worker_rates,
)
from benchmarks.workers_bench.offered import Offered, settings
from benchmarks.workers_bench.quiet import Seen, wait_for_quiet
from loadgen.config import load_loadgen_config


def window(counts: list[tuple[int, int]]) -> dict:
    """An /stormlab/attempts answer: one slot of 0.1 s per (first, retries)."""
    return {"slot_seconds": 0.1, "complete": True,
            "slots": [[1700000000 + i / 10, first, retries] for i, (first, retries) in enumerate(counts)]}


def test_the_rate_counts_first_tries_and_retries_over_the_slots_of_the_window():
    assert sent_per_second(window([(300, 0)] * 10 + [(200, 100)] * 10)) == 3000.0
    assert sent_per_second(window([(1, 0)] * 5)) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="no slot"):
        sent_per_second(window([]))


def test_the_spread_is_over_whole_seconds_and_leaves_a_partial_one_out():
    counts = [(100, 0)] * 10 + [(250, 50)] * 10 + [(999, 0)] * 5  # 1,000 then 3,000, then half a second
    assert per_second_spread(window(counts)) == (1000, 3000)
    with pytest.raises(ValueError, match="shorter than a second"):
        per_second_spread(window([(1, 0)] * 9))


METRICS = """# HELP stormlab_client_attempts_total Attempts sent (first tries and retries), by how each ended.
# TYPE stormlab_client_attempts_total counter
stormlab_client_attempts_total{outcome="success",policy="none",target="api"} 900.0
stormlab_client_attempts_total{outcome="timeout",policy="none",target="api"} 40.0
stormlab_client_attempts_total{outcome="success",policy="none",target="dns"} 60.0
stormlab_client_attempts_created{outcome="success",policy="none",target="api"} 1.7e+09
# HELP stormlab_client_dropped_arrivals_total Arrivals not started.
# TYPE stormlab_client_dropped_arrivals_total counter
stormlab_client_dropped_arrivals_total{policy="none"} 5000.0
"""


def test_a_workers_counters_are_summed_by_outcome_beside_its_dropped_arrivals():
    assert worker_counts(METRICS) == {"success": 960.0, "timeout": 40.0, DROPPED: 5000.0}
    assert worker_counts("") == {DROPPED: 0.0}  # no client has run yet


def test_worker_rates_split_the_attempts_and_count_what_failed_and_what_was_dropped():
    before = [{"success": 100.0, DROPPED: 0.0}, {DROPPED: 0.0}]
    after = [{"success": 2100.0, "timeout": 50.0, DROPPED: 1000.0},
             {"success": 1950.0, "connect_error": 0.0, DROPPED: 3000.0}]
    rates = worker_rates(before, after, seconds=2.0)
    assert rates.each == (1025.0, 975.0)
    assert rates.failed_share == pytest.approx(50 / 4000)
    assert rates.dropped_per_second == 2000.0
    assert worker_rates([{DROPPED: 0.0}], [{DROPPED: 0.0}], 1.0).failed_share == 0.0


def measured(case: str, sent: float, each: tuple[float, ...]) -> Measured:
    return Measured(case=case, where="1 here", seconds=20.0, sent_per_second=sent, spread=(2990, 3150),
                    per_worker=each, failed_share=0.004, dropped_per_second=8950.4,
                    answered_per_second=sent - 3, workers_cpu=0.99, origin_cpu=0.161, master_cpu=0.004,
                    machine_busy=1.234, link_bytes_per_second=3_240_000)


def test_the_rows_give_each_figure_and_the_ratio_to_the_first_case():
    table = rows([measured("(a)", 3000.0, (3000.0,)), measured("(b)", 5520.4, (2689.2, 2831.2))])
    assert table[0]["vs (a)"] == "1.00x" and table[1]["vs (a)"] == "1.84x"
    assert table[1] == {
        "case": "(b)", "workers": "1 here", "attempts/s sent (master)": "5,520", "vs (a)": "1.84x",
        "each worker (its counter)": "2,689 + 2,831", "per second, min-max": "2,990-3,150",
        "answered by nginx /s": "5,517", "failed": "0.4%", "arrivals dropped /s": "8,950",
        "CPU, cores: workers / nginx / master": "0.99 / 0.16 / 0.00", "machine busy, cores": "1.23",
        "across the link, MB/s": "3.24"}
    assert markdown_table(table).splitlines()[0].startswith("| case | workers | attempts/s sent (master) |")
    assert rows([]) == []


def test_the_cases_are_the_issues_three_a_first_and_the_other_hosts_path_alone():
    assert [(case.here, case.elsewhere) for case in CASES] == [(1, 0), (2, 0), (1, 1), (0, 1)]
    assert [case.where for case in CASES] == ["1 here", "2 here", "1 here + 1 on the other host",
                                              "1 on the other host"]


def test_every_process_runs_settings_the_loadgen_takes_offering_more_than_it_sends():
    offered = Offered(clients=100, per_client=120)
    assert offered.per_second == 12000
    config = load_loadgen_config(env=settings(offered, "http://172.30.0.1:40001", max_run_seconds=145))
    assert config.target_urls == {"api": "http://172.30.0.1:40001"}
    assert config.arrivals.process == "periodic" and config.arrivals.requests_per_second == 120
    assert config.max_attempts_per_second == 1e6  # the safety cap would be the figure (3,000 by default)
    assert config.max_in_flight_per_client == 4 and config.max_run_seconds == 145
    (profile,) = config.profiles
    assert profile.policy_name == "none" and profile.reuses_connections is False
    assert profile.attempt_timeout_seconds == 0.5 and profile.deadline_seconds == 1.0


STAT = "1234 (nginx: worker (x) y) S 1200 1234 1234 0 -1 4194624 100 0 0 0 250 50 0 0 20 0 1 0 5 0 0"


def test_a_process_cpu_is_its_user_and_system_ticks_read_past_the_command(tmp_path):
    assert cpu.stat_seconds(STAT) == 300 / cpu.TICK
    assert cpu.parent_of(STAT) == 1200
    for pid, parent, ticks in ((1200, 1, 10), (1234, 1200, 300), (1300, 1234, 5), (1400, 1, 7)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(
            f"{pid} (p) S {parent} 0 0 0 -1 0 0 0 0 0 {ticks} 0 0 0 20 0 1 0 5 0 0")
    (tmp_path / "self").mkdir()
    assert sorted(cpu.with_children(1200, tmp_path)) == [1200, 1234, 1300]
    assert cpu.process_seconds([1200, 1234, 1300, 99999], tmp_path) == 315 / cpu.TICK  # 99999 has ended


def test_the_machine_busy_share_leaves_idle_and_iowait_out():
    before = cpu.machine_ticks("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 ...")
    after = cpu.machine_ticks("cpu  400 0 150 900 50 0 0 0 10 0\ncpu0 ...")  # guest is inside user
    assert before == (150, 1000) and after == (550, 1500)
    assert cpu.busy_cores(before, after, cores=2) == pytest.approx(2 * 400 / 500)
    assert cpu.busy_cores(before, before, cores=2) == 0.0


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_wait_ends_once_the_machine_is_quiet():
    clock, said = Clock(), []
    seen = iter([Seen(2.4, 3), Seen(1.6, 0), Seen(1.4, 0)])
    waited = wait_for_quiet(lambda: next(seen), timeout=900, clock=clock, sleep=clock.sleep, say=said.append)
    assert waited.quiet and waited.seconds == 40 and waited.seen == Seen(1.4, 0)
    assert said[0] == ("waiting for a quiet machine (0 of 900 s): 3 other containers running; "
                       "1-minute load average 2.40 (not below 1.5)")
    assert waited.describe() == "machine quiet (load average 1.40, 0 other containers) after waiting 40 s"


def test_the_wait_is_bounded_and_says_what_was_not_quiet():
    clock = Clock()
    looks = []

    def look() -> Seen:
        looks.append(clock.now)
        return Seen(0.5, 1)

    waited = wait_for_quiet(look, timeout=60, every=20, clock=clock, sleep=clock.sleep, say=lambda _: None)
    assert not waited.quiet and looks == [0, 20, 40, 60] and waited.seconds == 60  # a last look at the bound
    assert waited.describe().startswith("machine NOT quiet: 1 other container running (load average 0.50")
    # no wait asked: one look
    assert wait_for_quiet(lambda: Seen(3.0, 0), timeout=0, clock=clock, sleep=clock.sleep).quiet is False
