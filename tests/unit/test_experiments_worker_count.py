"""How many load-generator workers took part in a run (some may run on other hosts,
docs/remote-workers.md): read from the master as the timeline starts, kept in run.json and
shown in the report's run facts; one the master cannot tell is a note, not a failed run."""

from dataclasses import replace

import pytest

from experiments.errors import ComponentError
from experiments.report_sections import run_facts
from experiments.run_record import load_record, save_record
from experiments.runner import _worker_count
from tests.unit.experiments_support import RUN


class FakeLab:
    def __init__(self, answer):
        self.answer = answer

    def worker_count(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_count_is_kept_in_run_json_and_read_back(tmp_path):
    save_record(tmp_path, replace(RUN, workers=5))
    assert load_record(tmp_path).workers == 5


def test_a_record_from_before_the_count_reads_as_not_recorded(tmp_path):
    save_record(tmp_path, RUN)
    assert RUN.workers is None and load_record(tmp_path).workers is None


@pytest.mark.parametrize("workers,shown", [(5, "| load generator workers | 5 |"), (0, "| load generator workers | 0 |"),
                                           (None, "| load generator workers | — |")])
def test_the_report_shows_it_among_the_run_facts(workers, shown):
    assert shown in run_facts(replace(RUN, workers=workers))


def test_the_runner_reads_it_from_the_master():
    notes = []
    assert _worker_count(FakeLab(4), notes) == 4 and notes == []


def test_a_master_that_cannot_tell_leaves_a_note_and_the_run_goes_on():
    notes = []
    failure = ComponentError("GET", "http://127.0.0.1:1/stormlab/workers", 404, {"error": "no such path"})
    assert _worker_count(FakeLab(failure), notes) is None
    assert len(notes) == 1 and notes[0].startswith(
        "load generator's workers not counted: ComponentError: GET http://127.0.0.1:1/stormlab/workers answered 404")
