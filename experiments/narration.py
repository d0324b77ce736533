"""The live demo's voice: what is happening, in plain figures, as the timeline runs.

A viewer watching Grafana (or only this console) should be told each turn of the story as it
happens: the steady state, the scaling activity, the surge ending while the device stays
congested (metastable), each operator action, and the recovery. Events are narrated as they
execute; between them, a status line every few seconds gives goodput against its baseline,
retry amplification and connection attempts against the device's limit, with what they mean.

The narrator only reads (Prometheus, through the lab); a failed query is shown as "?" and
never stops the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from experiments.numbers import formatted
from experiments.scenario import Scenario
from stormlab_common.queries import BY_NAME

WINDOW = "6s"
WHOLE = 0.9  # goodput at this share of its baseline or more counts as back
STATUS_FIGURES = ("goodput", "demand", "retry_amplification", "connection_attempts", "connection_setup_limit")


def _number(value: float | None, spec: str = ".0f") -> str:
    return "?" if value is None or not math.isfinite(value) else formatted(value, spec)


class Narrator:
    """Narrates one run. ``query`` runs PromQL and returns a number or None (lab.query)."""

    def __init__(self, scenario: Scenario, query: Callable[[str], float | None], say=print,
                 every_seconds: float = 10.0):
        self.scenario, self._query, self._say, self._every = scenario, query, say, every_seconds
        self._next_status = every_seconds
        self._baseline: list[float] = []
        self._stage = "start"  # start, before, surge, after (trigger over), acted
        self._last_judgement: str | None = None

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
        if elapsed < self._next_status:
            return
        self._next_status = elapsed + self._every
        figures = {name: self._read(name) for name in STATUS_FIGURES}
        goodput = figures["goodput"]
        if self._stage == "before" and goodput is not None and math.isfinite(goodput):
            self._baseline.append(goodput)
        baseline = sum(self._baseline) / len(self._baseline) if self._baseline else None
        ratio = goodput / baseline if goodput is not None and baseline else None
        line = (f"goodput {_number(goodput)} req/s"
                + (f" ({_number(100 * ratio)}% of baseline {_number(baseline)})" if ratio is not None else "")
                + f", {_number(figures['retry_amplification'], '.1f')} attempts per request, "
                f"{_number(figures['connection_attempts'])} connection attempts/s vs a limit of "
                f"{_number(figures['connection_setup_limit'])}")
        self._line(elapsed, line)
        judgement = self._judge(ratio)
        if judgement and judgement != self._last_judgement:
            self._line(elapsed, judgement)
            self._last_judgement = judgement

    def _judge(self, ratio: float | None) -> str | None:
        if ratio is None or self._stage in ("start", "before"):
            return None
        down, whole = ratio < self.scenario.down_fraction, ratio >= WHOLE
        if self._stage == "surge":
            return ("the device is overloaded: attempts fail, clients retry, each retry a new "
                    "connection.") if down else "the device is holding so far."
        if self._stage == "after":
            if down:
                return ("surge over; device still congested: METASTABLE so far. The retries alone "
                        "now keep the overload going.")
            return "goodput is back by itself: RECOVERING." if whole else "goodput is partly back."
        if down:
            return "still congested after the operators' action."
        if whole:
            return "goodput is back: the action worked, the system is RECOVERED."
        return "goodput is partly back: the action helped, but this is not a recovery yet."

    def _read(self, name: str) -> float | None:
        try:
            return self._query(BY_NAME[name].expression(WINDOW))
        except Exception:  # a lost query is a "?" on the console, never a failed run
            return None

    def _line(self, seconds: float, text: str) -> None:
        self._say(f"  t+{formatted(seconds, '>4.0f')} s  {text}")
