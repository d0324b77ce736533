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
from typing import Any

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


class SlotRing:
    """Counts per slot for the last ``KEEP_SECONDS``, by slot index: what each component's
    timeline keeps (loadgen/attempt_timeline.py, proxy/arrival_timeline.py). Slots that age
    out are forgotten as time passes, so memory stays bounded however long it runs.

    ``empty`` makes a new slot's counts (e.g. ``lambda: [0, 0]``, or ``dict``).
    """

    def __init__(self, clock: Callable[[], float], empty: Callable[[], Any]):
        self._clock = clock
        self._empty = empty
        self._slots: dict[int, Any] = {}
        self.kept_from: float = -math.inf  # the index of the oldest slot kept; those before are gone

    def advance(self) -> int:
        """The current slot's index; forgets the slots that have aged out."""
        current = slot_of(self._clock())
        kept_from = current - KEEP_SLOTS
        if kept_from > self.kept_from:
            self.kept_from = kept_from
            for index in [index for index in self._slots if index < kept_from]:
                del self._slots[index]
        return current

    def counts(self, index: int) -> Any:
        """The counts of slot ``index``, made empty if it holds none yet (the caller keeps
        ``index`` within what is kept)."""
        counts = self._slots.get(index)
        if counts is None:
            counts = self._slots[index] = self._empty()
        return counts

    def get(self, index: int) -> Any | None:
        return self._slots.get(index)

    def pop(self, index: int) -> Any:
        return self._slots.pop(index)

    def indices(self) -> list[int]:
        return sorted(self._slots)

    def kept_since(self) -> float:
        """The start of the oldest slot kept: at most ``KEEP_SECONDS`` ago."""
        self.advance()
        return start_of(self.kept_from)

    def __len__(self) -> int:
        return len(self._slots)
