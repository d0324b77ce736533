"""When a client's logical requests arrive: on its own schedule, whatever became of the
earlier ones (an open loop; a closed loop would wait and hide the storm).

``periodic``: evenly spaced, starting at a random phase so clients do not march in step.
``poisson``: exponential gaps, the textbook open system. Both draw from the client's own
seeded random stream: the same seed gives the same schedule.
"""

from __future__ import annotations

import random
from collections.abc import Iterator


def arrival_gaps(process: str, per_second: float, rng: random.Random) -> Iterator[float]:
    """Seconds from one arrival to the next, forever (the first from the client's start)."""
    mean = 1.0 / per_second
    if process == "periodic":
        yield rng.uniform(0, mean)
        while True:
            yield mean
    elif process == "poisson":
        while True:
            yield rng.expovariate(per_second)
    else:
        raise ValueError(f"unknown arrival process {process!r}; expected periodic or poisson")
