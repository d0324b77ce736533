"""The verdict's two rules on a goodput series, shared by the runner (experiments/verdict.py,
experiments/figures.py) and the model (model/verdict.py), so that both judge alike:

- "goodput at t" is the trailing mean over ``SMOOTHING_SECONDS``;
- goodput is back "for good" from the first moment after which it never fell below the line
  again, and only if that held for at least ``SMOOTHING_SECONDS`` before the end.
"""

from __future__ import annotations

import math

Series = list[tuple[float, float]]
SMOOTHING_SECONDS = 4.0


def smoothed(series: Series, seconds: float = SMOOTHING_SECONDS) -> Series:
    """A trailing mean over ``seconds``; NaN samples (gaps) are left out. Each mean is summed
    afresh (fsum), so a window of zeros averages to 0.0 exactly, not to the -1e-15 a running
    total drifts to (which printed as "-0.0")."""
    clean = [(t, v) for t, v in series if not math.isnan(v)]
    out, start = [], 0
    for end, (t, _v) in enumerate(clean):
        while clean[start][0] < t - seconds:
            start += 1
        window = [value for _t, value in clean[start:end + 1]]
        out.append((t, math.fsum(window) / len(window)))
    return out


def back_for_good(inside: Series, line: float, end: float) -> float | None:
    """From when the (smoothed) samples ``inside`` stayed at or above ``line`` to the end; None
    when they never did, or only in the last moments before ``end`` (not yet shown to hold)."""
    recovered_at = None
    for t, v in inside:
        if v < line:
            recovered_at = None
        elif recovered_at is None:
            recovered_at = t
    if recovered_at is not None and end - recovered_at < SMOOTHING_SECONDS:
        return None
    return recovered_at
