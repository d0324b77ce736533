"""One undo stack for everything a run changes: each change pushes its inverse before it is
made (so a change cut short by Ctrl-C is undone too), and ``restore`` pops them all, the
last change first, so every inverse finds the stack as it was just after its change (a
link moved back before the device it was moved to is removed)."""

from __future__ import annotations

from collections.abc import Callable

from experiments.errors import StackError


class UndoStack:
    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], object]]] = []

    def push(self, what: str, undo: Callable[[], object]) -> None:
        """``what``: the step as the run's notes name it when it fails (``restore link dns``)."""
        self._steps.append((what, undo))

    def __len__(self) -> int:
        return len(self._steps)

    def steps(self) -> list[str]:
        """What ``restore`` would do, in its order."""
        return [what for what, _ in reversed(self._steps)]

    def restore(self) -> list[str]:
        """Run every inverse, last pushed first; one that fails is reported and the rest
        still run. Returns ``"<what>: <why>"`` per failure. The stack is empty afterwards:
        a failed step is not tried again by the next restore."""
        failures = []
        while self._steps:
            what, undo = self._steps.pop()
            try:
                undo()
            except StackError as exc:
                failures.append(f"{what}: {exc}")
            except Exception as exc:  # e.g. a Docker SDK error: the other steps must still run
                failures.append(f"{what}: {type(exc).__name__}: {exc}")
        return failures
