"""A matrix of runs on one page: did each scenario end the way it was expected to?

One row per run with the figures that tell a retry storm apart from a blip (goodput before
and after, amplification, recovery time, connection attempts against the device's limit),
and a link to the run's own report. summary.json holds the same rows for tools.

A run whose run.json cannot be read is a row too, marked FAIL with the reason: a matrix
that silently drops a broken run would overstate how many scenarios behaved.

Some claims need two runs: "jitter lowers the peak of synchronized attempts" compares the
full-jitter run with the exponential one. A scenario states them under ``compare:``; each is
checked here against the run of the other scenario in the same matrix, and listed as
PASS, FAIL, or "not checked" when the other run or a figure is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from experiments.checks import OPERATORS
from experiments.numbers import figure
from experiments.report_text import cell, figure_value, table, text, verdict_facts
from experiments.results_io import RunFileError, write_json_atomic, write_text_atomic
from experiments.run_record import Figure, RunRecord, load_record

FIGURES = ("baseline_goodput", "goodput_after", "retry_amplification", "time_to_recover",
           "peak_connection_attempts", "connection_setup_limit")
HEADER = ["scenario", "expected", "verdict", "match", "baseline goodput", "goodput after",
          "retry amplification", "time to recover", "peak connection attempts vs limit", "report"]


def write_summary(run_dirs: list[Path], out_dir: Path) -> Path:
    """Writes out_dir/summary.md and summary.json; returns the path of summary.md."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [_row(Path(run_dir), out_dir) for run_dir in run_dirs]
    compared = comparisons(readable_records(run_dirs))
    matching = sum(row["matches"] is True for row in rows)
    totals = {"runs": len(rows), "matching": matching, "not_matching": len(rows) - matching,
              "comparisons_failed": sum(c["passed"] is False for c in compared)}
    write_json_atomic(out_dir / "summary.json",
                      {"format": 1, "totals": totals, "runs": rows, "comparisons": compared})
    path = out_dir / "summary.md"
    write_text_atomic(path, _markdown(rows, totals) + _comparisons_markdown(compared))
    return path


def comparisons(records: list[RunRecord]) -> list[dict]:
    """Every ``compare`` entry of every run, against the other scenario's run nearest before
    it in the matrix (the same round), or else the first one after it."""
    results = []
    for index, record in enumerate(records):
        for claim in record.scenario.compare:
            others = [i for i, other in enumerate(records) if other.scenario.name == claim.with_scenario]
            before = [i for i in others if i < index]
            other = records[before[-1] if before else others[0]] if others else None
            mine = _value(record, claim.figure)
            theirs = None if other is None else _value(other, claim.figure)
            passed = None if mine is None or theirs is None else OPERATORS[claim.operator](mine, theirs)
            results.append({"name": claim.name, "scenario": record.scenario.name, "figure": claim.figure,
                            "operator": claim.operator, "with": claim.with_scenario, "value": mine,
                            "other_value": theirs, "passed": passed})
    return results


def readable_records(run_dirs: list[Path]) -> list[RunRecord]:
    """The records that can be read, in order (the others are FAIL rows already)."""
    records = []
    for run_dir in run_dirs:
        try:
            records.append(load_record(Path(run_dir)))
        except RunFileError:
            continue
    return records


def _value(record: RunRecord, name: str) -> float | None:
    entry = (record.figures or {}).get(name)
    return None if entry is None else entry.value


def _comparisons_markdown(compared: list[dict]) -> str:
    if not compared:
        return ""
    lines = [[cell(c["scenario"]), cell(c["name"]), cell(c["figure"]),
              f"{figure(c['value'])} {c['operator']} {figure(c['other_value'])} ({cell(c['with'])})",
              {True: "PASS", False: "FAIL", None: "not checked (a run or a figure is missing)"}[c["passed"]]]
             for c in compared]
    return ("\n## Comparisons across runs\n\n"
            + table(["scenario", "claim", "figure", "this run vs the other run", "result"], lines) + "\n")


def _row(run_dir: Path, out_dir: Path) -> dict:
    report = Path(os.path.relpath(run_dir / "report.md", out_dir)).as_posix()
    try:
        record = load_record(run_dir)
    except RunFileError as exc:
        return {"run_dir": run_dir.name, "scenario": run_dir.name, "expected": None, "verdict": None,
                "matches": False, "status": "unreadable", "error": str(exc), "report": report,
                **{name: None for name in FIGURES}}
    verdict, expected, matches = verdict_facts(record)
    figures = record.figures or {}
    return {"run_dir": run_dir.name, "scenario": record.scenario.name,
            "expected": expected, "verdict": verdict, "matches": matches is True,
            "status": record.status, "error": record.error, "report": report,
            **{name: _figure(figures.get(name)) for name in FIGURES}}


def _figure(entry: Figure | None) -> dict | None:
    return None if entry is None else {"value": entry.value, "unit": entry.unit}


def _shown(entry: dict | None) -> str:
    return figure_value(None if entry is None else Figure(entry["value"], entry["unit"], ""))


def _connections(row: dict) -> str:
    peak, limit = row["peak_connection_attempts"], row["connection_setup_limit"]
    shown = f"{_shown(peak)} vs {_shown(limit)}"
    if peak and limit and peak["value"] is not None and limit["value"]:
        return f"{shown} ({figure(peak['value'] / limit['value'])}x)"
    return shown  # one side missing: no ratio to show


def _markdown(rows: list[dict], totals: dict) -> str:
    lines = []
    for row in rows:
        verdict = row["verdict"] or "no verdict"
        if row["status"] != "complete":
            verdict += f" ({row['status'] or 'status unknown'})"
        lines.append([cell(row["scenario"]), cell(row["expected"]), cell(verdict),
                      "PASS" if row["matches"] else "FAIL",
                      _shown(row["baseline_goodput"]), _shown(row["goodput_after"]),
                      _shown(row["retry_amplification"]), _shown(row["time_to_recover"]),
                      _connections(row), f"[report]({quote(row['report'])})"])
    problems = [f"- {text(row['run_dir'])}: {text(row['error'])}" for row in rows
                if row["status"] != "complete" and row["error"]]
    parts = ["# Experiment matrix",
             f"**{totals['runs']} runs, {totals['matching']} matching their expected verdict, "
             f"{totals['not_matching']} not.**",
             table(HEADER, lines) if rows else "_No runs._"]
    if problems:
        parts.append("Runs that did not complete:\n\n" + "\n".join(problems))
    return "\n\n".join(parts) + "\n"
