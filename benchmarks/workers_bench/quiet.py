"""Waiting for a quiet machine before measuring: a ratio of attempts/s on 2 shared cores means
nothing while someone else's containers or tests use them. Quiet: no container running but
this benchmark's, and a 1-minute load average below a bound. The wait is bounded; past it the
run goes on, and its summary says what was not quiet."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOAD_BELOW = 1.5
EVERY_SECONDS = 20.0


@dataclass(frozen=True)
class Seen:
    load: float  # the 1-minute load average
    others: int  # containers running that are not this benchmark's

    def problems(self, load_below: float = LOAD_BELOW) -> list[str]:
        found = []
        if self.others:
            found.append(f"{self.others} other container{'s' if self.others != 1 else ''} running")
        if self.load >= load_below:
            found.append(f"1-minute load average {self.load:.2f} (not below {load_below})")
        return found


@dataclass(frozen=True)
class Waited:
    seconds: float
    seen: Seen
    quiet: bool

    def describe(self) -> str:
        state = ("quiet" if self.quiet else "NOT quiet: " + "; ".join(self.seen.problems()))
        return (f"machine {state} (load average {self.seen.load:.2f}, {self.seen.others} other containers) "
                f"after waiting {self.seconds:.0f} s")


def wait_for_quiet(look: Callable[[], Seen], timeout: float, every: float = EVERY_SECONDS,
                   clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                   say: Callable[[str], None] = print) -> Waited:
    """Look every ``every`` seconds until quiet, for at most ``timeout`` seconds."""
    start = clock()
    while True:
        seen = look()
        waited = clock() - start
        if not seen.problems():
            return Waited(waited, seen, True)
        if waited + every > timeout:
            return Waited(waited, seen, False)
        say(f"waiting for a quiet machine ({waited:.0f} of {timeout:.0f} s): {'; '.join(seen.problems())}")
        sleep(every)


def load_average(proc: Path = Path("/proc")) -> float:
    return float((proc / "loadavg").read_text().split()[0])
