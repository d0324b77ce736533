"""Rows for the labels above a plot, so that none is drawn over another.

A label is a horizontal span in pixels; an event's label also has a stem, the thin line
from the axes up to it, which passes through every row below its own. Labels go in order
into the lowest row where their text touches no other text and no stem, and their stem
crosses no text below. Text never overlaps; only when no row up to ``MAX_STEM_ROWS`` keeps
a stem clear may a stem pass behind a label (labels have an opaque background).

Pure arithmetic on spans: the plots measure the texts with matplotlib and place them here.
"""

from __future__ import annotations

from dataclasses import dataclass

GAP = 6.0  # pixels between neighbours in a row: two labels must not read as one
MAX_STEM_ROWS = 6


@dataclass(frozen=True)
class Span:
    left: float
    right: float
    stem: float | None = None  # where its line meets the axes (an event); None: a window's name


def rows(spans: list[Span]) -> list[int]:
    """The row of each span, 0 nearest the axes, in the order given."""
    placed: list[tuple[Span, int]] = []
    result = []
    for span in spans:
        row = next((r for r in range(MAX_STEM_ROWS) if _fits(span, r, placed, stems=True)), None)
        if row is None:
            row = next(r for r in range(len(placed) + 1) if _fits(span, r, placed, stems=False))
        placed.append((span, row))
        result.append(row)
    return result


def _fits(span: Span, row: int, placed: list[tuple[Span, int]], stems: bool) -> bool:
    for other, other_row in placed:
        if other_row == row and _touch(span.left, span.right, other.left, other.right):
            return False
        if not stems:
            continue
        if other.stem is not None and other_row > row and _touch(span.left, span.right, other.stem,
                                                                 other.stem):
            return False  # this text would sit on a stem that passes up through its row
        if span.stem is not None and other_row < row and _touch(span.stem, span.stem, other.left,
                                                                other.right):
            return False  # this stem would pass through a label below
    return True


def _touch(left: float, right: float, other_left: float, other_right: float) -> bool:
    return left < other_right + GAP and other_left < right + GAP
