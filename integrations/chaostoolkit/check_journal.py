"""Checks a Chaos Toolkit journal of a stormlab experiment: it completed, it deviated as
expected, and every probe answered with a number.

    python integrations/chaostoolkit/check_journal.py journal.json [--expect-deviated true|false]

The expectation comes from the flag, else from the experiment's ``extensions`` entry named
``stormlab`` (``expected_deviated``, which the examples and ``python -m experiments export
--chaostoolkit`` write). Prints one line per journal on success; exits 1 naming every problem
(and what each probe answered), 2 when the journal cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from numbers import Real
from pathlib import Path
from typing import Any

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2


def expected_deviated(journal: dict, given: bool | None) -> bool | None:
    if given is not None:
        return given
    for extension in journal.get("experiment", {}).get("extensions") or []:
        if extension.get("name") == "stormlab" and isinstance(extension.get("expected_deviated"), bool):
            return extension["expected_deviated"]
    return None


def problems_of(journal: dict, deviated: bool | None) -> list[str]:
    """Every way the journal falls short, each in a sentence with what was expected."""
    found = []
    if deviated is None:
        found.append("no expectation: give --expect-deviated, or an extension {name: stormlab, "
                     "expected_deviated: ...} in the experiment")
    if journal.get("status") != "completed":
        found.append(f"status is {journal.get('status')!r}, expected 'completed'" + _failures(journal))
    before = (journal.get("steady_states") or {}).get("before")
    if not before or not before.get("steady_state_met"):
        found.append("the steady state was not met before the method (the lab's baseline was not healthy): "
                     + _probes(before))
    for phase in ("before", "after"):
        for run in ((journal.get("steady_states") or {}).get(phase) or {}).get("probes") or []:
            if run.get("status") != "succeeded" or not _number(run.get("output")):
                found.append(f"{phase}: probe {run['activity']['name']!r} gave no number: "
                             f"{run.get('status')}, {run.get('output')!r}{_exception(run)}")
    for run in journal.get("run") or []:
        if run.get("status") != "succeeded":
            found.append(f"method: {run['activity']['type']} {run['activity']['name']!r} {run.get('status')}"
                         + _exception(run))
    for run in journal.get("rollbacks") or []:
        if run.get("status") != "succeeded":
            found.append(f"rollback {run['activity']['name']!r} {run.get('status')}{_exception(run)}")
    if deviated is not None and journal.get("deviated") is not deviated:
        after = (journal.get("steady_states") or {}).get("after")
        found.append(f"deviated is {journal.get('deviated')}, expected {deviated}: after the method, "
                     + _probes(after))
    return found


def summary(journal: dict) -> str:
    steady = journal.get("steady_states") or {}
    parts = [f"{journal.get('status')}, deviated {str(journal.get('deviated')).lower()}"]
    for phase in ("before", "after"):
        if steady.get(phase):
            parts.append(f"{phase}: {_probes(steady[phase])}")
    observed = [f"{r['activity']['name']} = {_shown(r.get('output'))}" for r in journal.get("run") or []
                if r["activity"]["type"] == "probe"]
    if observed:
        parts.append("method: " + "; ".join(observed))
    return "; ".join(parts) + f" ({journal.get('duration', 0):.0f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("journal", type=Path)
    parser.add_argument("--expect-deviated", choices=("true", "false"), default=None)
    args = parser.parse_args(argv)
    try:
        journal = json.loads(args.journal.read_text())
    except (OSError, ValueError) as exc:
        print(f"check_journal: cannot read {args.journal}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    given = None if args.expect_deviated is None else args.expect_deviated == "true"
    found = problems_of(journal, expected_deviated(journal, given))
    title = journal.get("experiment", {}).get("title", "?")
    if found:
        print(f"check_journal: {args.journal} ({title}):\n  " + "\n  ".join(found), file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: {args.journal}: {summary(journal)}")
    return 0


def _probes(state: dict | None) -> str:
    if not state:
        return "not measured"
    runs = state.get("probes") or []
    return "; ".join(f"{r['activity']['name']} = {_shown(r.get('output'))}"
                     f" ({'within' if r.get('tolerance_met') else 'OUTSIDE'} "
                     f"{_tolerance(r['activity'].get('tolerance'))})" for r in runs) or "no probe ran"


def _tolerance(tolerance: Any) -> str:
    if isinstance(tolerance, dict) and tolerance.get("type") == "range":
        low, high = tolerance["range"]
        return f"[{low:g}, {high:g}]"
    return json.dumps(tolerance)


def _failures(journal: dict) -> str:
    failed = [r for r in [*(journal.get("run") or []), *(journal.get("rollbacks") or [])]
              if r.get("status") != "succeeded"]
    return "".join(f"; {r['activity']['name']!r} {r.get('status')}{_exception(r)}" for r in failed)


def _exception(run: dict) -> str:
    lines = run.get("exception") or []
    return f": {lines[-1].strip()}" if lines else ""


def _number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    return f"{value:g}" if _number(value) else repr(value)


if __name__ == "__main__":
    sys.exit(main())
