"""The report's plots, one per question a reader asks, declared as data: each plot's title,
its caption (what a newcomer needs to read it, with the run's own numbers), its panels, one
unit per panel's axis, and the lines and reference lines in each.

Units are the recorded series' own (stormlab_common/queries.py) and the figures'
(experiments/figures.py): req/s for logical requests (demand, goodput) only; attempts/s for
the clients' attempts, and for the device's capacity they are compared with (each attempt
opens a new connection, so that capacity is its connection setup rate); conn/s for what the
device counts itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from experiments.numbers import figure
from experiments.plot_facts import Facts


@dataclass(frozen=True)
class Line:
    series: str  # a series name, or a prefix ending in ':' meaning "every series under it"
    label: str
    colour: str | None = None
    style: str = "-"
    limit: bool = False  # a device limit: drawn as steps, and alone it is no reason to plot
    scale: float = 1.0  # drawn as value x scale (bytes/s as MB/s)
    detail: str = ""  # appended to the label when the facts it names are known, e.g. "({setup_limit}/s)"


@dataclass(frozen=True)
class Reference:
    """A horizontal line: a fixed value, or a fact of the run (left out when it is unknown)."""

    label: str  # "{value}" is the line's value; other names are facts
    value: float | None = None
    fact: str | None = None
    colour: str = "black"
    style: str = ":"


@dataclass(frozen=True)
class Panel:
    ylabel: str  # the axis's one unit
    lines: tuple[Line, ...]
    log: bool = False
    ylim: tuple[float, float] | None = None
    references: tuple[Reference, ...] = ()
    percent: bool = False  # a 0-1 ratio shown as 0-100%
    legend_title: str | None = None


@dataclass(frozen=True)
class Plot:
    name: str
    title: str  # what the plot answers
    look_for: str  # one sentence for the report: what this plot shows in a healthy/bad run
    panels: tuple[Panel, ...] = field(default_factory=tuple)
    zoom_to: str | None = None  # show only the time this series covers (a short, dense one)
    caption: Callable[[Facts], str] = lambda facts: ""

    @property
    def file(self) -> str:
        return f"{self.name}.png"


def said(template: str, facts: Facts, **values: float) -> str:
    """template with the facts it names as figures, or "" when one of them is unknown."""
    known = {name: _shown(value) for name, value in {**facts, **values}.items()}
    try:
        return template.format(**known)
    except KeyError:
        return ""


def _shown(value: float) -> str:
    # Whole numbers as such (a 5 s deadline, a 100/s limit); others as the report prints figures.
    return f"{value:,.0f}" if float(value).is_integer() else figure(value)


def _load(facts: Facts) -> str:
    limit = said(", at most {setup_limit} per second", facts)
    return ("Top, in logical requests: what the clients asked for and what succeeded. Bottom, in attempts: "
            f"each request's first try and its retries, each a new connection the device must set up{limit}. "
            "Attempts beyond the device's capacity fail, and are retried.")


def _latency(facts: Facts) -> str:
    deadline = said("the {deadline} s deadline", facts) or "its deadline"
    return ("Logical requests, retries included, from the clients' duration histogram. A request that "
            f"gives up at {deadline} is counted in the histogram's next bucket up, so an estimate above the "
            "deadline means 'gave up at the deadline', not a longer wait.")


def _connections(facts: Facts) -> str:
    rate = said(" at most {setup_limit} connections per second", facts)
    wait = said(", for at most {backlog_timeout} s,", facts)
    return ("Refused attempts never become active connections. The device sets up"
            f"{rate or ' a limited number'}; other attempts wait in its backlog (bottom panel){wait} and are "
            "then turned away. So while the device is congested its backlog is full and its active "
            "connections stay few.")


def _burst(facts: Facts) -> str:
    return ("Each point is one 100 ms slot, its count shown as a rate per second (count x 10): 4,000/s "
            "means 400 attempts in that tenth of a second. Top: when the clients sent their attempts, from "
            "their own record (the surge's boot wave among the first tries). Bottom: when connections "
            "reached the device, timed by its kernel.")


def _bandwidth(facts: Facts) -> str:
    cost = said("{setup_cost_bytes} bytes", facts)
    if not cost or not facts.get("setup_cost_bytes"):
        return "Bytes the device forwarded to the clients, against its limit."
    return (f"Bytes forwarded only. Each connection attempt also costs the device {cost} of this same "
            "budget in setup work, admitted or not: in a storm, forwarding falls while the budget goes to "
            "setting up connections, and every flow through the device slows down.")


REQUESTS, ATTEMPTS = "requests per second (req/s)", "attempts per second (attempts/s)"
CONNECTIONS = "connection attempts per second (conn/s)"  # at the device: one per attempt
SETUP_LIMIT = Line("connection_setup_limit", "setup limit", "black", "--", limit=True,
                   detail="({setup_limit} conn/s)")

PLOTS: tuple[Plot, ...] = (
    Plot("load", "Goodput against demand, and offered load against the device's capacity",
         "Top: goodput follows demand in a stable run; in a metastable one it stays below the down line long "
         "after the trigger ends. Bottom: the attempts behind it; a metastable run's stay far above the "
         "device's capacity with the trigger gone, a recovered run's come back under it.",
         (Panel(REQUESTS, (
             Line("demand", "demand: requests started", "tab:gray"),
             Line("goodput", "goodput: requests that succeeded", "tab:green")),
             references=(Reference("down below this line: {down_percent}% of baseline goodput "
                                   "({value} req/s)", fact="down_line", colour="tab:green"),)),
          Panel(ATTEMPTS, (
             Line("offered_load", "offered load: first tries and retries", "tab:red"),
             Line("capacity", "device capacity", "black", "--", limit=True,
                  detail="({setup_limit} attempts/s: its connection setup rate)")))),
         caption=_load),
    Plot("goodput_by_target", "Goodput by target: which services' requests still succeeded",
         "Which targets lost their goodput, and whether one (e.g. DNS after it moved off the "
         "congested path) recovered while the others did not.",
         (Panel(REQUESTS, (Line("goodput:", "{}"),), legend_title="target"),)),
    Plot("latency", "Request latency, against the clients' attempt timeout and deadline",
         "Latency climbing to the deadline means requests are being given up; a p99 pinned there after the "
         "trigger is the retry loop at work.",
         (Panel("seconds (s, log scale)", (
             Line("latency_p50", "median (p50)", "tab:blue"),
             Line("latency_p99", "p99", "tab:purple")), log=True,
             references=(Reference("attempt timeout ({value} s)", fact="attempt_timeout", colour="dimgray",
                                   style="-."),
                         Reference("deadline ({value} s): the request gives up", fact="deadline"))),),
         caption=_latency),
    Plot("amplification", "Retry amplification: attempts sent per logical request",
         "1 means no retries; a value that stays above the device's capacity over demand after the trigger "
         "is the sustaining feedback loop.",
         (Panel("attempts per request (attempts/req)", (
             Line("retry_amplification", "retry amplification", "tab:orange"),),
             references=(Reference("1: no retries", value=1.0),
                         Reference("capacity / baseline demand ({value}): above it, the device is overloaded "
                                   "even at baseline demand", fact="capacity_over_demand", style="--"))),),
         caption=lambda facts: "A request's attempts are its first try and its retries: 5 means a "
                               "request was sent five times each, on average."),
    Plot("connections", "Connections at the device: attempts against its setup limit, and what waits",
         "Attempts arriving above the device's setup limit wait in its backlog and are turned away, and each "
         "refusal makes a client retry with yet another connection.",
         (Panel(CONNECTIONS, (
             Line("connection_attempts", "connection attempts arriving", "tab:red"),
             Line("connections_turned_away", "turned away", "tab:orange"),
             SETUP_LIMIT)),
          Panel("connections", (
              Line("waiting_connections", "waiting in the setup backlog", "tab:purple"),
              Line("active_connections", "active: set up and open", "tab:blue"),
              Line("active_connections_limit", "connection table limit", "black", ":", limit=True,
                   detail="({table_limit})")))),
         caption=_connections),
    Plot("burst", "Per 100 ms: when attempts were sent, and when they reached the device",
         "Sub-second timing that Prometheus's 2 s scrapes would smooth away. Top: the clients' own "
         "record: the surge's boot wave of first tries, then its retries, in lockstep waves without jitter "
         "and in a lower, flatter band with it. Bottom: the connections arriving at the device, timed by its "
         "kernel at the handshake: the same waves, as the device met them.",
         (Panel("attempts/s, per 100 ms", (
             Line("first_tries_sent_fine", "first tries sent", "tab:gray"),
             Line("retries_sent_fine", "retries sent", "tab:orange"))),
          Panel("conn/s, per 100 ms", (
             Line("connection_arrivals_fine", "arrivals at the device", "tab:red"),
             SETUP_LIMIT))),
         zoom_to="connection_arrivals_fine", caption=_burst),
    Plot("operators", "What the operators saw, against ground truth",
         "When the operators' view drops while ground truth still answers, monitoring crossing the "
         "congested devices has gone blind, as it did on 7 December 2021.",
         (Panel("scrapes that succeeded", (
             Line("operator_view_up", "operator view (through the devices)", "tab:red"),
             Line("ground_truth_up", "ground truth (out of band)", "tab:green", "--")),
             ylim=(-0.05, 1.05), percent=True),)),
    Plot("bandwidth", "Device bandwidth, downstream: bytes forwarded against the limit",
         "Forwarded bytes against the device's limit; in a storm they fall while the device is busiest, as "
         "its bandwidth goes to setting up connections.",
         (Panel("megabytes per second (MB/s)", (
             Line("device_bytes_downstream", "bytes forwarded", "tab:blue", scale=1e-6),
             Line("device_bandwidth_limit_downstream", "bandwidth limit", "black", "--", limit=True,
                  scale=1e-6))),),
         caption=_bandwidth),
    Plot("policy_success", "Success ratio by retry policy: the share of requests that succeeded",
         "Policies that bound their retries (budgets, breakers, adaptive throttling) should climb "
         "back after the trigger; unbounded ones stay down.",
         (Panel("requests that succeeded", (Line("success_ratio:", "{}"),),
                ylim=(-0.05, 1.05), percent=True, legend_title="retry policy"),),
         caption=lambda facts: "A gap is a stretch in which no request of that policy finished."),
)
PLOTS_BY_NAME = {plot.name: plot for plot in PLOTS}
