"""Outage overview: the whole story on one screen, for a viewer who knows nothing of the code.

The surge arrives (demand, active clients), the device saturates (connection attempts at
its setup limit, bandwidth, queueing), retries multiply (amplification), goodput collapses
and stays collapsed, and the operators' monitoring goes blind. The main panels take their
PromQL from stormlab_common/queries.py, so the experiment reports plot the same series.
"""

from __future__ import annotations

from grafana.model import BAD, CAPACITY, DEMAND, GOOD, GREY, LOAD, RATE, Dashboard, Panel, Row, Series, State
from grafana.operators import GROUND_TRUTH, OPERATORS, SCRAPES_COLOURS
from stormlab_common import metric_names as m
from stormlab_common.queries import BY_NAME

UID = "stormlab-overview"  # Grafana's home dashboard (docker-compose.yml points at this file)

# The experiment runner pushes its state through the Pushgateway (experiments/experiment_state.py):
# one series per phase and per verdict, 1 for the current one. The state timeline shows them
# as numbers that its value mappings turn back into these words and colours.
PHASES = (
    State(1, "warmup", "blue"),
    State(2, "before", "green"),
    State(3, "trigger", "red"),
    State(4, "after", "orange"),
    State(5, "action", "purple"),
    State(6, "end", GREY),
)
VERDICTS = (
    State(11, "pending", "blue"),
    State(12, "stable", "green"),
    State(13, "recovered", "yellow"),
    State(14, "metastable", "red"),
    State(15, "failed", "dark-red"),  # the run did not complete: no verdict
    State(16, "interrupted", GREY),
)
DOWN_FRACTION = 0.5  # the verdict's default line: goodput below half its baseline is "down"
NO_EXPERIMENT = "no experiment yet (make experiment)"


def shared(name: str) -> str:
    """A recorded series' PromQL, as the runner queries it, over Grafana's rate window."""
    return BY_NAME[name].expression(RATE)


def current_state_as_number(metric: str, label: str, states: tuple[State, ...]) -> str:
    """One series per scenario whose value is the code of the label value now set to 1.

    A state timeline draws one row per series; a gauge per label value would give one row
    per phase, so the label is folded into a number that the panel's mappings turn back
    into the word and its colour.
    """
    return " or ".join(
        f'max by ({m.SCENARIO}) ({metric}{{{label}="{state.text}"}} == 1) * {state.value}' for state in states
    )


def experiment_state() -> tuple[Panel, ...]:
    colours = tuple((state.text, state.colour) for state in PHASES + VERDICTS)
    return (
        Panel(
            "Experiment",
            "Which scenario is running (or ran last), and for how long: seconds since its timeline started.",
            (Series(f"max by (scenario) ({m.EXPERIMENT_ELAPSED})", "{{scenario}}"),),
            unit="s",
            kind="stat",
            width=5,
            height=4,
            stat_text="value_and_name",
            no_value=NO_EXPERIMENT,
        ),
        Panel(
            "Phase",
            "Where the experiment is in its timeline: warmup, before the trigger, the trigger (surge),"
            " after it, an operator action, the end.",
            (Series(f"max by (phase) ({m.EXPERIMENT_PHASE} == 1)", "{{phase}}"),),
            unit="short",
            kind="stat",
            width=4,
            height=4,
            stat_text="name",
            name_colours=colours,
            no_value=NO_EXPERIMENT,
        ),
        Panel(
            "Verdict so far",
            "The runner's verdict: pending while it runs, then stable (goodput never fell below half"
            " its baseline), recovered (it fell and came back) or metastable (it fell and stayed down"
            " with the trigger gone); failed or interrupted when the run did not complete.",
            (Series(f"max by (verdict) ({m.EXPERIMENT_VERDICT} == 1)", "{{verdict}}"),),
            unit="short",
            kind="stat",
            width=5,
            height=4,
            stat_text="name",
            name_colours=colours,
            no_value=NO_EXPERIMENT,
        ),
        Panel(
            "Goodput vs baseline",
            "Live goodput as a share of the goodput before the trigger. Red below half: the"
            " service is down for its clients.",
            # NaN until the baseline exists: ">= 0" drops it, and the panel says why it is empty
            (Series(f"max by (scenario) ({m.EXPERIMENT_GOODPUT_RATIO} >= 0)", "{{scenario}}"),),
            no_value="no baseline yet",
            unit="percentunit",
            kind="stat",
            width=5,
            height=4,
            decimals=0,
            thresholds=((None, "red"), (DOWN_FRACTION, "green")),
        ),
        Panel(
            "Operators' scrapes arriving",
            "Share of the operators' metric scrapes (through the device) that succeed. Below 100%"
            " the operators are going blind; ground truth is scraped out of band.",
            (Series(shared("operator_view_up"), "operators"),),
            unit="percentunit",
            kind="stat",
            width=5,
            height=4,
            decimals=0,
            thresholds=((None, "red"), (0.99, "green")),
        ),
    )


def main_panels() -> tuple[Panel | Row, ...]:
    return (
        Panel(
            "Offered load vs goodput vs device capacity",
            "Does the device keep up? Requests the clients started (demand), attempts they sent"
            " (each a new connection: the offered load), requests that succeeded (goodput), and the"
            " connection setups per second the device can handle (dashed). In a retry storm the"
            " attempts climb far above capacity and goodput falls to near zero and stays there.",
            (
                Series(shared("demand"), "requests started (demand)", DEMAND),
                Series(shared("offered_load"), "attempts sent (offered load)", LOAD),
                Series(shared("goodput"), "requests succeeded (goodput)", GOOD),
                Series(shared("connection_setup_limit"), "device capacity (connection setups/s)", CAPACITY),
            ),
            unit="reqps",
            width=16,
            height=9,
            min=0,
        ),
        Panel(
            "Retry amplification",
            "How many attempts each request costs (attempts / requests started). 1 means no"
            " retries; in a storm every attempt fails and is retried until the deadline.",
            (Series(shared("retry_amplification"), "attempts per request", LOAD),),
            unit="short",
            width=8,
            height=9,
            min=0,
            decimals=1,
            axis_label="attempts per request",
        ),
        Panel(
            "Experiment phase and verdict",
            "The experiment's timeline (top) and the runner's verdict (bottom), on the same time"
            " axis as every other panel.",
            (
                Series(current_state_as_number(m.EXPERIMENT_PHASE, m.PHASE, PHASES), "{{scenario}} phase"),
                Series(
                    current_state_as_number(m.EXPERIMENT_VERDICT, m.VERDICT, VERDICTS), "{{scenario}} verdict"
                ),
            ),
            unit="short",
            kind="state-timeline",
            width=24,
            height=4,
            states=PHASES + VERDICTS,
        ),
        Row("The device between the networks"),
        Panel(
            "Connection attempts vs the device's setup limit",
            "Is the device's connection handling saturated? Connection attempts per second against"
            " the setups per second it can handle (dashed), and the attempts it turned away, by"
            " reason: a full or timed-out backlog.",
            (
                Series(shared("connection_attempts"), "connection attempts", LOAD),
                Series(shared("connection_setup_limit"), "setup limit", CAPACITY),
                Series(
                    f"sum by (device, outcome, reason)"
                    f' (rate({m.PROXY_CONNECTION_ATTEMPTS}{{outcome!="accepted"}}[{RATE}]))',
                    "{{device}} {{outcome}}: {{reason}}",
                    BAD,
                ),
            ),
            unit="suffix:conn/s",
            width=12,
            min=0,
        ),
        Panel(
            "Device bandwidth used",
            "Is the device's bandwidth used up? Bytes per second through it as a share of its"
            " configured bandwidth, per direction that has a limit. At 100% data queues in its buffer.",
            (
                Series(
                    f"sum by (device, direction) (rate({m.PROXY_BYTES}[{RATE}])) / on (device, direction)"
                    f" max by (device, direction) ({m.PROXY_LIMIT_BYTES_PER_SECOND})",
                    "{{device}} {{direction}}",
                    LOAD,
                ),
            ),
            unit="percentunit",
            width=6,
            min=0,
            limit_line=1,
        ),
        Panel(
            "Queueing delay in the device",
            "How long data waits in the device's buffer for bandwidth (50th and 99th percentile):"
            " the latency a congested device adds to every response.",
            tuple(
                Series(
                    f"histogram_quantile({q}, sum by (le, device, direction)"
                    f" (rate({m.PROXY_QUEUEING_DELAY}_bucket[{RATE}])))",
                    f"p{round(q * 100)} {{{{device}}}} {{{{direction}}}}",
                    LOAD,
                )
                for q in (0.5, 0.99)
            ),
            unit="s",
            width=6,
            min=0,
        ),
        Row("The services, the clients and the operators"),
        Panel(
            "Service queue depth",
            "Requests waiting for a worker at each service, against the queue's size (dashed)."
            " A full queue sheds requests with 503, which the clients retry.",
            (
                Series(f"sum by (service) ({m.SERVICE_QUEUED})", "{{service}}", LOAD),
                Series(f"sum by (service) ({m.SERVICE_LIMIT_QUEUE})", "{{service}} queue size", CAPACITY),
            ),
            unit="short",
            width=8,
            min=0,
        ),
        Panel(
            "Wasted work",
            "Are the services working for nobody? Workers busy on requests whose client had"
            " already given up (red), against all busy workers and the workers there are (dashed).",
            (
                Series(shared("wasted_work"), "workers on abandoned requests", BAD),
                Series(f"sum({m.SERVICE_BUSY_WORKERS})", "workers busy"),
                Series(f"sum({m.SERVICE_LIMIT_WORKERS})", "workers", CAPACITY),
            ),
            unit="short",
            width=8,
            min=0,
            axis_label="workers",
        ),
        Panel(
            "Operators' view vs ground truth: scrapes arriving",
            "Could the operators see the outage? Share of scrapes that succeed for the operators'"
            " monitoring, which crosses the congested device, and for ground truth, scraped out of band.",
            (
                Series(shared("operator_view_up"), OPERATORS),
                Series(shared("ground_truth_up"), GROUND_TRUTH),
            ),
            unit="percentunit",
            width=8,
            min=0,
            max=1,
            name_colours=SCRAPES_COLOURS,
        ),
        Panel(
            "Client success rate by retry policy",
            "Share of requests that succeed within their deadline, per retry policy. A policy that"
            " keeps retrying at once stays near 0% after the trigger.",
            (Series(shared("success_ratio:"), "{{policy}}", GOOD),),
            unit="percentunit",
            width=12,
            min=0,
            max=1,
        ),
        Panel(
            "Active clients",
            "Clients running: the scaling trigger's surge multiplies them for a few seconds; the"
            " outage outlives it.",
            (Series(shared("active_clients"), "clients", DEMAND),),
            unit="short",
            width=12,
            min=0,
        ),
    )


def dashboard() -> Dashboard:
    return Dashboard(
        uid=UID,
        title="Outage overview",
        description="A retry storm turning a short overload into a lasting outage: load, capacity,"
        " retries, goodput, and what the operators could see.",
        items=experiment_state() + main_panels(),
    )
