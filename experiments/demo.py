"""``make demo``: the retry storm and its remediation, live, narrated, round after round.

Brings the stack up if it is not (with Grafana where its image exists), prints where to
look, then runs ``retry-storm-remediation`` at demo time scale with a narrated console
timeline (experiments/narration.py), prints the verdict and the report, and starts again
until stopped (Ctrl-C), or once with ``--once``. The stack stays up afterwards, for looking
around; ``make down`` removes it.
"""

from __future__ import annotations

import time
from pathlib import Path

from experiments.narration import Narrator
from experiments.stack import Stack
from stormlab_common.scenario import Scenario

PAUSE_BETWEEN_ROUNDS = 10.0  # s: the last round's tail drains, and a viewer reads the verdict
PLACES = (  # (what, compose service, container port, path)
    ("Grafana, the outage overview", "grafana", 3000, "/d/stormlab-overview"),
    ("Grafana, what the operators saw", "grafana", 3000, "/d/stormlab-operators"),
    ("Prometheus", "prometheus", 9090, "/graph"),
    ("locust (the clients)", "loadgen", 8089, "/"),
    ("the device's control API", "proxy", 8474, "/devices"),
)


def where_to_look(stack: Stack) -> tuple[list[str], bool]:
    """Lines naming each place to watch; and whether Grafana is running."""
    lines, grafana = [], False
    for what, service, port, path in PLACES:
        base = stack.url(service, port)
        if base is not None:
            lines.append(f"  {what:<34} {base}{path}")
            grafana = grafana or service == "grafana"
    if not grafana:
        lines.append("  Grafana is not running here (its image could not be built: no registry). "
                     "The console below and each round's report tell the same story, with plots.")
    return lines, grafana


def run_demo(scenario: Scenario, stack: Stack, results: Path, *, once: bool, say=print) -> int:
    """Runs rounds until Ctrl-C (KeyboardInterrupt propagates) or one round with ``once``;
    returns the exit status of the last round (0: verdict as expected)."""
    from experiments.lab import Lab
    from experiments.runner import run_scenario

    lines, grafana = where_to_look(stack)
    say("stormlab demo: where to look\n" + "\n".join(lines))
    say(f"\n{scenario.name}: {scenario.description.strip()}\nexpected: {scenario.expected_verdict}. "
        f"{scenario.reasoning}\n")
    lab = Lab(stack)
    round_number, status = 0, 0
    while True:
        round_number += 1
        say(f"--- round {round_number}{'' if once else ' (Ctrl-C to stop)'} ---")
        narrator = Narrator(scenario, lab.query, say, query_range=lab.query_range)
        run_dir = run_scenario(scenario, results, stack, progress=False, say=say, narrator=narrator)
        status = _tell_outcome(run_dir, grafana, say)
        if once:
            return status
        time.sleep(PAUSE_BETWEEN_ROUNDS)


def _tell_outcome(run_dir: Path, grafana: bool, say) -> int:
    from experiments.results_io import RunFileError
    from experiments.run_record import load_record

    try:
        record = load_record(run_dir)
    except RunFileError as exc:
        say(f"  the run's record could not be read: {exc}")
        return 3
    verdict = record.verdict
    if record.status != "complete" or verdict is None:
        say(f"  the run did not complete ({record.status}): {record.error}")
        return 3
    say(f"  verdict: {verdict.verdict.upper()} "
        f"({'as expected' if verdict.matches else 'expected ' + verdict.expected}): {verdict.reason}")
    say(f"  report: {run_dir / 'report.md'} (and report.html, with the plots inline)")
    if not grafana:
        say("  (no Grafana here: the report's plots show what the dashboards would)")
    return 0 if verdict.matches else 1
