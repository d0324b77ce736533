"""Numbers as the reports, the console and the verdicts print them.

A value that is zero to the digits shown prints as zero, never as "-0.0": a mean of zeros,
a smoothing remainder of -1e-15 or Prometheus's own "-0" all mean "nothing", and a minus
sign on nothing reads as a measurement below zero. Every figure a person reads goes through
``formatted`` (or ``figure``, which builds on it)."""

from __future__ import annotations

import math

MISSING = "—"
_NONZERO = set("123456789")


def formatted(value: float, spec: str) -> str:
    """``format(value, spec)``, without the sign when every digit shown is a zero."""
    text = format(value, spec)
    return text if _NONZERO & set(text) else format(abs(value), spec)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def figure(value) -> str:
    """A figure for a table: thousands grouped from 100 on, else 3 significant digits; a dash
    when there is no number (None, NaN, infinity)."""
    if not is_number(value):
        return MISSING
    size = abs(value)
    if size >= 100:
        return formatted(value, ",.0f")
    if size >= 10:
        return formatted(value, ".1f")
    return formatted(value, ".3g")


def clean(value: float | None) -> float | None:
    """A value for a record: rounded to 4 decimals, and +0.0 where rounding left -0.0 (JSON
    would keep the sign)."""
    return None if value is None else round(value, 4) + 0.0
