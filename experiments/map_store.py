"""A map's finished runs on disk, one CSV row each (``cells.csv`` in the map's folder).

A row is written, flushed and synced the moment its run has its verdict, so Ctrl-C (or a
crash) loses at most the run in progress, and a rerun of the same map skips every run that
has a row. Rows are keyed by the cell's two axis values and the seed's index.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path

VERDICTS = ("stable", "recovered", "metastable")


@dataclass(frozen=True)
class Row:
    x: float
    y: float
    seed: int
    verdict: str  # stable, recovered, metastable, or "failed" (the run did not complete)
    measured_load: float | None  # baseline demand / capacity, as measured
    predicted: str | None  # the model's verdict for this cell, when it has one
    seconds: float  # how long the run took, start to verdict
    run_dir: str

    @property
    def key(self) -> tuple[float, float, int]:
        return (round(self.x, 6), round(self.y, 6), self.seed)


class MapStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / "cells.csv"
        self.rows: dict[tuple, Row] = {row.key: row for row in self._read()}

    def done(self, x: float, y: float, seed: int) -> bool:
        return (round(x, 6), round(y, 6), seed) in self.rows

    def add(self, row: Row) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with self.path.open("a", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(Row)])
            if new:
                writer.writeheader()
            writer.writerow(asdict(row))
            out.flush()
            os.fsync(out.fileno())
        self.rows[row.key] = row

    def cell(self, x: float, y: float) -> list[Row]:
        return [row for row in self.rows.values() if row.key[:2] == (round(x, 6), round(y, 6))]

    def points(self) -> list[tuple[float, float]]:
        return sorted({row.key[:2] for row in self.rows.values()})

    def _read(self) -> list[Row]:
        if not self.path.exists():
            return []
        with self.path.open(newline="") as source:
            return [_row(line) for line in csv.DictReader(source) if line.get("verdict")]


def shares(rows: list[Row]) -> dict[str, float]:
    """Each verdict's share of a cell's completed runs ({} when none completed)."""
    counted = Counter(row.verdict for row in rows if row.verdict in VERDICTS)
    total = sum(counted.values())
    return {verdict: counted[verdict] / total for verdict in VERDICTS} if total else {}


def majority(rows: list[Row]) -> str | None:
    """The verdict most of a cell's runs got (ties: the worse one); None without completed runs."""
    share = shares(rows)
    if not share:
        return None
    return max(VERDICTS, key=lambda verdict: (share[verdict], VERDICTS.index(verdict)))


def _row(line: dict) -> Row:
    def number(key: str) -> float | None:
        return float(line[key]) if line.get(key) not in (None, "", "None") else None

    return Row(float(line["x"]), float(line["y"]), int(line["seed"]), line["verdict"],
               number("measured_load"), line.get("predicted") or None, float(line.get("seconds") or 0),
               line.get("run_dir", ""))
