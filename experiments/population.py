"""How many clients the operators' actions leave running, and what that makes of a recovery.

Goodput is what the running clients ask for: once an action has stopped some of them
(``disable_sources``), the most the rest can get back is the baseline times the share still
running. Goodput at 80% of baseline with a quarter of the clients stopped is a full recovery,
not a partial one; the verdict and the narration both say so, from these numbers. Each
action's own ``apply`` is replayed on a counter, so the count is the one the run had.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from experiments.numbers import formatted

FULL = 0.9  # goodput at this share of what the running clients can get counts as all of it


@dataclass(frozen=True)
class Cut:
    """An action that changed how many clients run."""

    name: str
    at: float  # seconds since the run started
    before: int
    after: int


class _Counter:
    """The lab as an action sees it (stormlab_common/scenario/actions/base.py), counting clients only."""

    def __init__(self, count: int):
        self.client_count = count

    def set_client_count(self, count: int, spawn_rate: float = 0) -> None:
        self.client_count = count

    def patch_link(self, link: str, patch: dict) -> None: ...
    def patch_device(self, device: str, patch: dict) -> None: ...
    def patch_service(self, service: str, patch: dict) -> None: ...
    def patch_clients(self, patch: dict) -> None: ...


def client_cuts(scenario, until: float = math.inf) -> list[Cut]:
    """The actions up to ``until`` that changed the client count. Actions come after the
    trigger's end (stormlab_common/scenario/rules.py), when the population is back to its own size."""
    counter, cuts = _Counter(scenario.client_count), []
    for timed in scenario.actions:
        if timed.at > until:
            break
        before = counter.client_count
        timed.action.apply(counter)
        if counter.client_count != before:
            cuts.append(Cut(timed.name, timed.at, before, counter.client_count))
    return cuts


def share_running(scenario, until: float = math.inf) -> float:
    """The share of the baseline's clients still running at ``until``."""
    cuts = client_cuts(scenario, until)
    return cuts[-1].after / scenario.client_count if cuts and scenario.client_count else 1.0


def is_full(ratio: float, scenario, until: float = math.inf) -> bool:
    """Whether goodput at ``ratio`` of baseline is all the clients running at ``until`` can get."""
    return ratio >= FULL * share_running(scenario, until)


def fewer_clients(scenario, ratio: float, until: float = math.inf) -> str | None:
    """Why goodput at ``ratio`` of baseline is (or is not) a full recovery when actions
    stopped clients, in a sentence; None when none did."""
    cuts = client_cuts(scenario, until)
    if not cuts:
        return None
    share = share_running(scenario, until)
    stopped = "; ".join(f"{cut.name} at {formatted(cut.at, '.0f')} s left {cut.after} of the {cut.before} "
                        "clients" for cut in cuts)
    full = f"{_percent(share)} of baseline"
    verdict = (f"so {full} is full recovery for the clients left" if is_full(ratio, scenario, until)
               else f"so {full} would be full recovery for the clients left; this is short of it")
    return f"goodput back at {_percent(ratio)} of baseline: {stopped}, {verdict}"


def _percent(fraction: float) -> str:
    return formatted(100 * fraction, ".0f") + "%"
