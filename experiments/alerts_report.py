"""The report's Alerts section, from the run's record alone (``record.alerts``, written by
experiments/alerts.py): for each alert rule shipped with the stack, when it first started
firing, which is when its page would have gone out, or why it did not."""

from __future__ import annotations

from experiments.numbers import MISSING, formatted
from experiments.report_text import cell, table
from experiments.run_record import AlertSeen, ExecutedEvent, RunRecord

HEADER = ["alert", "severity", "for", "first firing (the page)", "from the trigger", "phase", "pending from"]
# the timeline's phase after an event of each kind; any other (an action, a ramp's level): "after <name>"
PHASES = {"start": "baseline", "trigger": "during the trigger", "trigger_end": "after the trigger",
          "end": "after the end"}
NOT_FIRING = {"already_firing": "already firing at the start (paged before the run)",
              "did_not_fire": "did not fire", "rules_not_loaded": "rules not loaded"}
CONFIRMED = {
    "rules_api": "Prometheus listed the alerting rules it had loaded (/api/v1/rules); one it did not list "
                 "reads \"rules not loaded\".",
    "alerts_series": "Prometheus's rules API did not answer; the rules count as loaded because ALERTS series "
                     "of them exist.",
    "unconfirmed": "Prometheus's rules API did not answer and no ALERTS series exists, so whether the rules "
                   "were loaded cannot be told: no alert is said not to have fired.",
}


def alerts_section(record: RunRecord) -> str:
    alerts = record.alerts
    if alerts is None:
        return ("## Alerts\n\n_No alerts recorded: the run predates the alert rules, stopped before its "
                "timeline ran, or Prometheus did not answer (see the runner's notes)._")
    files = ", ".join(cell(name) for name in alerts.rules_files) or MISSING
    intro = (f"When each alert rule shipped with the stack ({files}; docs/alerts.md) first started firing "
             "during the run: when its page would have gone out. t+N s is seconds since the run started, "
             "\"from the trigger\" counts from the scaling activity as executed, and the phase is the "
             "timeline's at that moment. \"Pending from\" is when its condition first held, waiting out "
             "its `for`.")
    if not alerts.alerts:
        return f"## Alerts\n\n{intro}\n\n_The rules files hold no alerting rules._"
    rows = [_row(alert, record.timeline) for alert in alerts.alerts]
    return f"## Alerts\n\n{intro}\n\n{table(HEADER, rows)}\n\n{CONFIRMED[alerts.confirmed_by]}"


def _row(alert: AlertSeen, events: tuple[ExecutedEvent, ...]) -> list[str]:
    first, relative, phase = NOT_FIRING.get(alert.state, MISSING), MISSING, MISSING
    at = alert.first_firing_seconds
    if at is not None:
        first = _t(at) + (" (firing at the start too: it cleared and fired again)" if alert.firing_at_start
                          else "")
        trigger = next((event.executed_seconds for event in events if event.kind == "trigger"), None)
        relative = MISSING if trigger is None else f"{formatted(at - trigger, '+.0f')} s"
        phase = _phase(events, at)
    pending = MISSING if alert.first_pending_seconds is None else _t(alert.first_pending_seconds)
    return [cell(alert.name), cell(alert.severity), cell(alert.for_duration), first, relative, phase, pending]


def _t(seconds: float) -> str:
    return f"t+{formatted(seconds, '.0f')} s"


def _phase(events: tuple[ExecutedEvent, ...], seconds: float) -> str:
    """The timeline's phase at that moment: after the last event executed by then."""
    passed = [event for event in events if event.executed_seconds <= seconds]
    if not passed:
        return MISSING
    return PHASES.get(passed[-1].kind) or f"after {cell(passed[-1].name)}"
