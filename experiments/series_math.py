"""Arithmetic on recorded series (``[(seconds, value), ...]``): what a window holds, its
mean or extreme, a trailing mean, a ratio of integrals. NaN samples (a gap in Prometheus's
answer) are left out everywhere rather than counted as zero."""

from __future__ import annotations

import itertools
import math

Series = list[tuple[float, float]]
Window = tuple[float, float]


def values_in(series: Series, window: Window) -> list[float]:
    start, end = window
    return [v for t, v in series if start <= t <= end and not math.isnan(v)]


def aggregate(series: Series, window: Window, how: str = "mean") -> float | None:
    """mean, min, max or last of the window's samples; None when it has none."""
    values = values_in(series, window)
    if not values:
        return None
    if how == "mean":
        return sum(values) / len(values)
    if how == "min":
        return min(values)
    if how == "max":
        return max(values)
    return values[-1]  # last


def ratio_of_sums(numerator: Series, denominator: Series, window: Window) -> float | None:
    """E.g. attempts over logical requests across a window: the ratio of the integrals, which
    weighs busy seconds more than idle ones (a mean of ratios would not)."""
    top, bottom = sum(values_in(numerator, window)), sum(values_in(denominator, window))
    return top / bottom if bottom > 0 else None


def integral(series: Series, window: Window) -> float | None:
    """The area under the series over the window (trapezoids); None with fewer than 2 samples."""
    points = [(t, v) for t, v in series if window[0] <= t <= window[1] and not math.isnan(v)]
    if len(points) < 2:
        return None
    return sum((t2 - t1) * (v1 + v2) / 2 for (t1, v1), (t2, v2) in itertools.pairwise(points))
