"""The undo stack: every inverse run, last pushed first; failures collected, never stopping
the rest; nothing left to undo afterwards."""

import pytest

from experiments.errors import ComponentError, StackError
from experiments.undo import UndoStack


def test_restore_runs_every_inverse_last_first():
    done, undo = [], UndoStack()
    for step in ("create device side", "move link dns", "patch device side"):
        undo.push(f"undo {step}", lambda step=step: done.append(step))
    assert len(undo) == 3 and undo.steps()[0] == "undo patch device side"
    assert undo.restore() == []
    assert done == ["patch device side", "move link dns", "create device side"]
    assert len(undo) == 0


def refused():
    raise ComponentError("PATCH", "http://proxy/links/dns", 500, {"error": "broken on purpose"})


def test_a_failure_is_reported_and_the_others_still_run():
    done, undo = [], UndoStack()
    undo.push("remove device side", lambda: done.append("removed"))
    undo.push("restore link dns", refused)
    undo.push("restore kv settings", lambda: {}["config"])  # a bug, not a refusal: still collected
    undo.push("stop the clients", lambda: done.append("stopped"))
    failures = undo.restore()
    assert done == ["stopped", "removed"]
    assert failures == [
        "restore kv settings: KeyError: 'config'",
        "restore link dns: PATCH http://proxy/links/dns answered 500: broken on purpose",
    ]
    assert undo.restore() == []  # a failed step is not tried again


def test_a_stack_error_reads_as_its_message():
    def refuse():
        raise StackError("locust refused the swarm: no workers")

    undo = UndoStack()
    undo.push("stop the clients", refuse)
    assert undo.restore() == ["stop the clients: locust refused the swarm: no workers"]


def test_ctrl_c_during_restore_is_not_swallowed():
    def interrupted():
        raise KeyboardInterrupt

    undo = UndoStack()
    undo.push("restore link dns", interrupted)
    with pytest.raises(KeyboardInterrupt):
        undo.restore()
