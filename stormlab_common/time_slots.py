"""Sub-second slots of wall-clock time, the same in every component.

The load generator counts when its clients sent attempts, and the proxy when connections
arrived at the device, per slot; the experiment runner lines both up with its own timeline.
That only works if every component cuts time the same way, so the cut lives here.
Wall-clock time (unix seconds), not monotonic: containers share the host's clock.
Slots are known by integer index, ``floor(t / SLOT_SECONDS)``, so floats never decide
which slot is which.
"""

from __future__ import annotations

import math
from collections.abc import Callable

SLOT_SECONDS = 0.1  # fine enough to tell a wave fired together from one spread over 0.5 s
KEEP_SECONDS = 600  # how far back a component answers for: a full-length run, and then some
KEEP_SLOTS = round(KEEP_SECONDS / SLOT_SECONDS)


def slot_of(t: float) -> int:
    """The index of the slot holding time ``t``. Rounded to a thousandth of a slot first, so a
    boundary like 1700000000.3 (which divides to 17000000002.99999...) opens its own slot
    rather than closing the one before."""
    return math.floor(round(t / SLOT_SECONDS, 3))


def slots_to(t: float) -> int:
    """One past the index of the last slot that starts before ``t``: where a window ending
    at ``t`` stops."""
    return math.ceil(round(t / SLOT_SECONDS, 3))


def start_of(index: int) -> float:
    """A slot's start, in unix seconds, as the APIs show it."""
    return round(index * SLOT_SECONDS, 3)


def parse_window(arg: Callable[[str], str | None], kept_since: float) -> tuple[float, float, list[str]]:
    """``?since=&until=`` of a window query (``arg(name)``: the query argument or None),
    checked against what is kept: (since, until, problems). Every component's window API
    refuses the same things in the same words."""
    problems: list[str] = []
    since, until = (_seconds(name, arg(name), problems) for name in ("since", "until"))
    if not problems:
        if since >= until:
            problems.append(f"until: expected a time after since ({since}), got {until}")
        elif until - since > KEEP_SECONDS:
            problems.append(f"until: expected at most {KEEP_SECONDS} s after since, got {until - since:g} s "
                            "(ask for the window in parts)")
        if since < kept_since:
            problems.append(f"since: expected {kept_since} or later (slots are kept for "
                            f"{KEEP_SECONDS} s), got {since}")
    return since, until, problems


WINDOW_EXPECTED = (f"expected ?since=<unix seconds>&until=<unix seconds>, since before until, at most "
                   f"{KEEP_SECONDS} s apart, within the last {KEEP_SECONDS} s")


def _seconds(name: str, text: str | None, problems: list[str]) -> float:
    if text is None:
        problems.append(f"{name}: missing; expected a time in unix seconds, e.g. {name}=1700000000.5")
        return math.nan
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{name}: expected a number (unix seconds), got {text!r}")
        return math.nan
    if not math.isfinite(value):
        problems.append(f"{name}: expected a finite number (unix seconds), got {text!r}")
    return value
