"""The live demo's voice: what is happening, in plain figures, as the timeline runs.

A viewer watching Grafana (or only this console) should be told each turn of the story as it
happens: the steady state, the scaling activity, the surge ending while the device stays
congested (metastable), each operator action, and the recovery. Events are narrated as they
execute; between them, a status line every few seconds gives goodput against its baseline,
retry amplification and connection attempts against the device's limit, with what they mean.

The baseline is the record's (experiments/live_baseline.py): "so far" while its window is
open, then, once said, the very figure the run's report will give. A recovery is judged
against what the clients still running can get (experiments/population.py): after a quarter
of them are stopped, three quarters of the baseline is all of it, and the narration says so.

The narrator only reads (Prometheus, through the lab); a failed query is shown as "?" and
never stops the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from experiments.live_baseline import LiveBaseline
from experiments.numbers import figure, formatted
from experiments.population import fewer_clients, is_full
from experiments.recording import RATE_WINDOW
from stormlab_common.queries import BY_NAME
from stormlab_common.scenario import Scenario

MIN_SEEN_SECONDS = 3.0  # of the baseline window, before a "so far" means anything
STATUS_FIGURES = ("goodput", "demand", "retry_amplification", "connection_attempts", "connection_setup_limit")


def _number(value: float | None, spec: str = ".0f") -> str:
    return "?" if value is None or not math.isfinite(value) else formatted(value, spec)


class Narrator:
    """Narrates one run. ``query`` runs PromQL and returns a number or None (lab.query);
    ``query_range`` gives series (lab.query_range), from which the baseline is read."""

    def __init__(self, scenario: Scenario, query: Callable[[str], float | None], say=print,
                 every_seconds: float = 10.0, query_range: Callable[..., list[dict]] | None = None):
        self.scenario, self._query, self._say, self._every = scenario, query, say, every_seconds
        self._next_status = every_seconds
        self.baseline = LiveBaseline(scenario, query_range)
        self._stage = "start"  # start, before, surge, after (trigger over), acted
        self._last_judgement: str | None = None
        self._clock = None

    def timed_by(self, clock) -> None:
        """The timeline clock (experiments/timeline.py): the record's series start at its start."""
        self._clock = clock

    # --- events ------------------------------------------------------------------------------
    def wrap(self, events) -> None:
        """Narrates each event right after it ran (so the words follow the deed)."""
        for event in events:
            event.run = self._narrated(event, event.run)

    def _narrated(self, event, run):
        def run_and_tell() -> None:
            run()
            self._tell_event(event)

        return run_and_tell

    def _tell_event(self, event) -> None:
        at = event.at
        if event.kind == "start":
            self._stage = "before"
            self.baseline.started_wall = None if self._clock is None else self._clock.started_wall
            self._line(at, f"{event.detail}: the steady state. Goodput should hold at the demand.")
        elif event.kind == "trigger":
            self._stage = "surge"
            self._line(at, f"scaling activity: {event.detail}. The device's connection setups "
                           "are about to be swamped.")
        elif event.kind == "trigger_end":
            self._stage = "after"
            self._line(at, f"surge over ({event.detail}). The trigger is gone; watch whether "
                           "goodput comes back by itself.")
        elif event.kind == "action":
            self._stage = "acted"
            self._line(at, f"operator action, {event.name}: {event.detail}")
        elif event.kind == "end":
            self._line(at, "end of the timeline: clients stopped; judging the run.")

    # --- status between events ---------------------------------------------------------------
    def tick(self, elapsed: float, phase: str) -> None:
        status = elapsed >= self._next_status
        if self.baseline.due(elapsed, status) and self.baseline.read(elapsed):
            start, end = self.baseline.window
            self._line(elapsed, f"baseline {figure(self.baseline.value)} req/s: the mean goodput from "
                                f"t+{formatted(start, '.0f')} s to t+{formatted(end, '.0f')} s, as the run's "
                                "record and report give it")
        if not status:
            return
        self._next_status = elapsed + self._every
        figures = {name: self._read(name) for name in STATUS_FIGURES}
        goodput, baseline = figures["goodput"], self.baseline.value
        ratio = goodput / baseline if goodput is not None and baseline else None
        start, end = self.baseline.window
        if self.baseline.final and ratio is not None:
            against = f" ({_number(100 * ratio)}% of baseline {figure(baseline)})"
        elif self._stage == "before" and elapsed < start + MIN_SEEN_SECONDS:
            # A mean over a second or two of a window is one sample, not yet a baseline.
            against = (f" (baseline: its mean from t+{formatted(start, '.0f')} s to "
                       f"t+{formatted(end, '.0f')} s)")
        elif ratio is not None:
            against = f" (baseline so far {figure(baseline)}, provisional until t+{formatted(end, '.0f')} s)"
        else:
            against = ""
        self._line(elapsed, f"goodput {_number(goodput)} req/s{against}, "
                            f"{_number(figures['retry_amplification'], '.1f')} attempts per request, "
                            f"{_number(figures['connection_attempts'])} connection attempts/s vs a limit of "
                            f"{_number(figures['connection_setup_limit'])}")
        judged = self._judge(ratio, elapsed)
        if judged and judged[0] != self._last_judgement:
            self._line(elapsed, judged[1])
            self._last_judgement = judged[0]

    def _judge(self, ratio: float | None, elapsed: float) -> tuple[str, str] | None:
        """(what kind of judgement, its words): a kind is said once, until another replaces it."""
        if ratio is None or self._stage in ("start", "before"):
            return None
        down, whole = ratio < self.scenario.down_fraction, is_full(ratio, self.scenario, elapsed)
        if self._stage == "surge":
            if down:
                return "overloaded", ("the device is overloaded: attempts fail, clients retry, each retry a "
                                      "new connection.")
            return "holding", "the device is holding so far."
        if self._stage == "after":
            if down:
                return "metastable", ("surge over; device still congested: METASTABLE so far. The retries "
                                      "alone now keep the overload going.")
            return ("recovering", "goodput is back by itself: RECOVERING.") if whole else (
                "partly", "goodput is partly back.")
        why = fewer_clients(self.scenario, ratio, elapsed)
        because, fewer = (f" ({why})", " with fewer clients") if why else ("", "")
        if down:
            return "congested", "still congested after the operators' action."
        if whole:
            return "recovered" + fewer, ("goodput is back: the action worked, the system is RECOVERED"
                                         f"{because}.")
        return "helped" + fewer, ("goodput is partly back: the action helped, but this is not a recovery yet"
                                  f"{because}.")

    def _read(self, name: str) -> float | None:
        try:
            return self._query(BY_NAME[name].expression(RATE_WINDOW))
        except Exception:  # a lost query is a "?" on the console, never a failed run
            return None

    def _line(self, seconds: float, text: str) -> None:
        self._say(f"  t+{formatted(seconds, '>4.0f')} s  {text}")
