"""The demo's frame: where to look, and how a round's outcome is told."""

from experiments.demo import _tell_outcome, where_to_look
from tests.unit.experiments_support import complete_run, make_run, partial_run


class FakeStack:
    def __init__(self, running: set[str]):
        self.running = running

    def url(self, service, port):
        return f"http://127.0.0.1:{port + 10000}" if service in self.running else None


def test_with_grafana_the_dashboards_come_first():
    lines, grafana = where_to_look(FakeStack({"grafana", "prometheus", "loadgen", "proxy"}))
    assert grafana is True
    assert "http://127.0.0.1:13000/d/stormlab-overview" in lines[0]
    assert "http://127.0.0.1:13000/d/stormlab-operators" in lines[1]
    assert not any("not running" in line for line in lines)


def test_without_grafana_the_demo_says_so_and_points_to_the_report():
    lines, grafana = where_to_look(FakeStack({"prometheus", "loadgen", "proxy"}))
    assert grafana is False
    assert any("http://127.0.0.1:19090/graph" in line for line in lines)
    assert "Grafana is not running here" in lines[-1] and "report" in lines[-1]


def test_a_round_ends_with_its_verdict_and_report(tmp_path):
    said = []
    assert _tell_outcome(make_run(tmp_path / "run"), grafana=False, say=said.append) == 0
    assert said[0].startswith("  verdict: METASTABLE (as expected)")
    assert said[1] == f"  report: {tmp_path / 'run' / 'report.md'} (and report.html, with the plots inline)"
    assert "no Grafana here" in said[2]


def test_a_wrong_verdict_or_a_broken_round_is_told_and_not_zero(tmp_path):
    wrong = complete_run(expect={"verdict": "recovered", "reasoning": "the budget bounds the retries"})
    said = []
    assert _tell_outcome(make_run(tmp_path / "wrong", wrong), grafana=True, say=said.append) == 1
    assert said[0].startswith("  verdict: METASTABLE (expected recovered): goodput fell below 50% of baseline")
    assert _tell_outcome(make_run(tmp_path / "cut", partial_run()), grafana=True, say=said.append) == 3
    assert "did not complete (interrupted)" in said[-1]
    (tmp_path / "empty").mkdir()
    assert _tell_outcome(tmp_path / "empty", grafana=True, say=said.append) == 3
