"""Markdown pieces the run report and the matrix summary share: safe text, table cells,
tables, figures with their units, and the verdict facts of a record."""

from __future__ import annotations

import re

from experiments.numbers import MISSING, figure
from experiments.run_record import Figure, RunRecord

__all__ = ["MISSING", "cell", "figure", "figure_value", "table", "text", "verdict_facts"]


def verdict_facts(record: RunRecord) -> tuple[str | None, str, bool | None]:
    """(verdict, expected verdict, matches); verdict and matches are None without a verdict."""
    if record.verdict is None:
        return None, record.scenario.expect.verdict, None
    return record.verdict.verdict, record.verdict.expected, record.verdict.matches


def figure_value(entry: Figure | None) -> str:
    """A figure as '59.8 req/s', or a dash when it has no value."""
    number = figure(None if entry is None else entry.value)
    if number == MISSING or entry is None or not entry.unit:
        return number
    unit = entry.unit
    return f"{number}{unit}" if unit in ("%", "x") or unit.startswith("/") else f"{number} {unit}"


def text(value) -> str:
    """Plain text made safe for Markdown and the HTML it becomes, and still plain text when read
    as such (no HTML entities): markup characters are backslash-escaped, so a scenario's
    description can neither break a table nor pull in an outside resource. A '<' is escaped
    only where a viewer that passes raw HTML (a repository browser) could read a tag or a link
    in it: before a letter, '/', '!' or '?'. The report's own HTML passes none through at all
    (experiments/report.py)."""
    escaped = re.sub(r"([\\`*\[\]|])", r"\\\1", str(value))
    escaped = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", escaped)
    return re.sub(r"(?<!\w)_|_(?!\w)", r"\\_", escaped)  # snake_case names stay readable


def cell(value) -> str:
    return text(value).replace("\r", " ").replace("\n", " ") if value not in (None, "") else MISSING


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
