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

from experiments.report import cell, format_number, format_value, table, text, verdict_facts
from experiments.results_io import RunFileError, read_run, write_json_atomic, write_text_atomic

FIGURES = ("baseline_goodput", "goodput_after", "retry_amplification", "time_to_recover",
           "peak_connection_attempts", "connection_setup_limit")
HEADER = ["scenario", "expected", "verdict", "match", "baseline goodput", "goodput after",
          "retry amplification", "time to recover", "peak connection attempts vs limit", "report"]


def write_summary(run_dirs: list[Path], out_dir: Path) -> Path:
    """Writes out_dir/summary.md and summary.json; returns the path of summary.md."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [_row(Path(run_dir), out_dir) for run_dir in run_dirs]
    compared = comparisons(_readable_runs(run_dirs))
    matching = sum(row["matches"] is True for row in rows)
    totals = {"runs": len(rows), "matching": matching, "not_matching": len(rows) - matching,
              "comparisons_failed": sum(c["passed"] is False for c in compared)}
    write_json_atomic(out_dir / "summary.json",
                      {"format": 1, "totals": totals, "runs": rows, "comparisons": compared})
    path = out_dir / "summary.md"
    write_text_atomic(path, _markdown(rows, totals) + _comparisons_markdown(compared))
    return path


def comparisons(runs: list[dict]) -> list[dict]:
    """Every ``compare`` entry of every run, against the other scenario's run nearest before
    it in the matrix (the same round), or else the first one after it."""
    results = []
    for index, run in enumerate(runs):
        scenario = _mapping(run.get("scenario"))
        for entry in _mapping(scenario.get("raw")).get("compare") or []:
            others = [i for i, other in enumerate(runs)
                      if _mapping(other.get("scenario")).get("name") == entry.get("with")]
            before = [i for i in others if i < index]
            other = runs[before[-1] if before else others[0]] if others else None
            mine = _value(run, entry.get("figure"))
            theirs = None if other is None else _value(other, entry.get("figure"))
            passed = None
            if mine is not None and theirs is not None and entry.get("operator") in _OPERATORS:
                passed = _OPERATORS[entry["operator"]](mine, theirs)
            results.append({"name": entry.get("name"), "scenario": scenario.get("name"),
                            "figure": entry.get("figure"), "operator": entry.get("operator"),
                            "with": entry.get("with"), "value": mine, "other_value": theirs,
                            "passed": passed})
    return results


_OPERATORS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
              ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _readable_runs(run_dirs: list[Path]) -> list[dict]:
    runs = []
    for run_dir in run_dirs:
        try:
            runs.append(read_run(Path(run_dir)))
        except RunFileError:
            continue  # already a FAIL row; nothing to compare
    return runs


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _value(run: dict, figure) -> float | None:
    value = _mapping(_mapping(run.get("summary")).get(figure)).get("value")
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _comparisons_markdown(compared: list[dict]) -> str:
    if not compared:
        return ""
    lines = [[cell(c["scenario"]), cell(c["name"]), cell(c["figure"]),
              f"{format_number(c['value'])} {c['operator']} {format_number(c['other_value'])} "
              f"({cell(c['with'])})",
              {True: "PASS", False: "FAIL", None: "not checked (a run or a figure is missing)"}[c["passed"]]]
             for c in compared]
    return ("\n## Comparisons across runs\n\n"
            + table(["scenario", "claim", "figure", "this run vs the other run", "result"], lines) + "\n")


def _row(run_dir: Path, out_dir: Path) -> dict:
    report = Path(os.path.relpath(run_dir / "report.md", out_dir)).as_posix()
    try:
        run = read_run(run_dir)
    except RunFileError as exc:
        return {"run_dir": run_dir.name, "scenario": run_dir.name, "expected": None, "verdict": None,
                "matches": False, "status": "unreadable", "error": str(exc), "report": report,
                **{name: None for name in FIGURES}}
    verdict, expected, matches = verdict_facts(run)
    summary = run.get("summary") if isinstance(run.get("summary"), dict) else {}
    scenario = run.get("scenario") if isinstance(run.get("scenario"), dict) else {}
    return {"run_dir": run_dir.name, "scenario": scenario.get("name") or run_dir.name,
            "expected": expected, "verdict": verdict, "matches": matches is True,
            "status": run.get("status"), "error": run.get("error"), "report": report,
            **{name: _figure(summary.get(name)) for name in FIGURES}}


def _figure(entry) -> dict | None:
    if not isinstance(entry, dict):
        return None
    return {"value": entry.get("value"), "unit": entry.get("unit")}


def _connections(row: dict) -> str:
    peak, limit = row["peak_connection_attempts"], row["connection_setup_limit"]
    shown = f"{format_value(peak)} vs {format_value(limit)}"
    try:
        return f"{shown} ({format_number(peak['value'] / limit['value'])}x)"
    except (TypeError, KeyError, ZeroDivisionError):
        return shown  # one side missing or not a number: no ratio to show


def _markdown(rows: list[dict], totals: dict) -> str:
    lines = []
    for row in rows:
        verdict = row["verdict"] or "no verdict"
        if row["status"] != "complete":
            verdict += f" ({row['status'] or 'status unknown'})"
        lines.append([cell(row["scenario"]), cell(row["expected"]), cell(verdict),
                      "PASS" if row["matches"] else "FAIL",
                      format_value(row["baseline_goodput"]), format_value(row["goodput_after"]),
                      format_value(row["retry_amplification"]), format_value(row["time_to_recover"]),
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
