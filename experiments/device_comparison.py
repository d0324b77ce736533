"""The scenario matrix on both devices, side by side (``make cross-check``): the proxy's runs and
the kernel device's, one row per scenario, and for each scenario whose verdicts differ the facts
that tell why, read from the two runs' records: what the kernel device left out of the
scenario, when the clients' kernel retransmits a SYN against the clients' connect timeout, and
the figures that differ.

Each side is a matrix's summary folder (``results/.../matrix-<time>/``, written by ``python -m
experiments matrix``); the runs are the folders beside it that its summary.json names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from experiments.report_text import cell, figure_value, table, text
from experiments.results_io import RunFileError, read_json_object, write_json_atomic, write_text_atomic
from experiments.run_record import Figure, RunRecord, load_record

SIDES = ("proxy", "kernel")
FIGURES = (("baseline_goodput", "baseline goodput"), ("goodput_after", "goodput after"),
           ("retry_amplification", "retry amplification"), ("time_to_recover", "time to recover"))
# Linux's SYN retransmissions (net.ipv4.tcp_syn_retries, initial RTO 1 s, doubling): when an
# unanswered SYN is sent again, in seconds after the first
SYN_RETRANSMISSIONS_SECONDS = (1.0, 3.0, 7.0, 15.0, 31.0, 63.0)
LEFT_OUT = "on the kernel device: "


class CrossCheckError(ValueError):
    """A side that is not a matrix summary folder, or not the device it is given as."""


@dataclass(frozen=True)
class Side:
    device: str
    records: dict[str, RunRecord]  # by scenario name, the last run of each
    unreadable: dict[str, str]  # run folder: why


def read_side(summary_dir: Path, device: str) -> Side:
    summary = read_json_object(
        Path(summary_dir) / "summary.json",
        missing=f"no summary.json in {summary_dir}: give a matrix's summary folder "
                "(results/.../matrix-<time>/, written by python -m experiments matrix)")
    rows = summary.get("runs")
    if not isinstance(rows, list):
        raise CrossCheckError(f"{summary_dir}/summary.json has no list of runs")
    records, unreadable = {}, {}
    for row in rows:
        run_dir = Path(summary_dir).parent / str(row.get("run_dir", ""))
        try:
            record = load_record(run_dir)
        except RunFileError as exc:
            unreadable[run_dir.name] = str(exc)
            continue
        if record.device != device:
            raise CrossCheckError(f"{run_dir} ran on the {record.device} device, given as the {device} side")
        records[record.scenario.name] = record
    return Side(device, records, unreadable)


def write_cross_check(proxy_summary: Path, kernel_summary: Path, out_dir: Path) -> Path:
    """Writes out_dir/cross-check.md and cross-check.json; returns the path of the Markdown."""
    sides = {"proxy": read_side(proxy_summary, "proxy"), "kernel": read_side(kernel_summary, "kernel")}
    names = sorted({*sides["proxy"].records, *sides["kernel"].records},
                   key=lambda name: _order(name, sides))
    rows = [_row(name, sides) for name in names]
    totals: dict = {device: {"runs": len(sides[device].records),
                             "as_expected": sum(row[device]["matches"] is True for row in rows)}
                    for device in SIDES}
    totals["same_verdict"] = sum(row["same_verdict"] for row in rows)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "cross-check.json", {"format": 1, "totals": totals, "scenarios": rows,
                                                     "unreadable": {d: sides[d].unreadable for d in SIDES}})
    path = out_dir / "cross-check.md"
    write_text_atomic(path, _markdown(rows, totals, sides))
    return path


def _order(name: str, sides: dict[str, Side]) -> tuple:
    record = sides["proxy"].records.get(name) or sides["kernel"].records[name]
    return (record.scenario.raw.get("order", 1000), name)


def _row(name: str, sides: dict[str, Side]) -> dict:
    row: dict = {"scenario": name}
    for device in SIDES:
        record = sides[device].records.get(name)
        verdict = record.verdict if record else None
        row[device] = {
            "verdict": verdict.verdict if verdict else None,
            "expected": verdict.expected if verdict else None,
            "matches": verdict.matches if verdict else None,
            "status": record.status if record else "not run",
            "figures": {key: _figure(record, key) for key, _ in (*FIGURES, ("peak_connection_attempts", ""),
                                                                  ("connection_setup_limit", ""))},
        }
    verdicts = row["proxy"]["verdict"], row["kernel"]["verdict"]
    row["same_verdict"] = verdicts[0] is not None and verdicts[0] == verdicts[1]
    kernel = sides["kernel"].records.get(name)
    row["left_out_on_kernel"] = [note[len(LEFT_OUT):] for note in (kernel.notes if kernel else ())
                                 if note.startswith(LEFT_OUT)]
    row["connect_timeouts_seconds"] = sorted(_connect_timeouts(kernel or sides["proxy"].records[name]))
    return row


def _figure(record: RunRecord | None, key: str) -> dict | None:
    entry = (record.figures or {}).get(key) if record else None
    return None if entry is None else {"value": entry.value, "unit": entry.unit}


def _connect_timeouts(record: RunRecord) -> set[float]:
    """Every client profile's connect timeout, as the scenario set it (the loadgen's default
    where it did not; read as the scenario file has it)."""
    profiles = ((record.scenario.raw.get("clients") or {}).get("config") or {}).get("clients") or {}
    return {float(profile["connect_timeout_seconds"]) for profile in profiles.values()
            if isinstance(profile, dict) and profile.get("connect_timeout_seconds") is not None}


def _shown(entry: dict | None) -> str:
    return figure_value(None if entry is None else Figure(entry["value"], entry["unit"], ""))


def _verdict(side: dict) -> str:
    if side["verdict"] is None:
        return f"no verdict ({side['status']})"
    return f"{side['verdict']}" + ("" if side["matches"] else " (unexpected)")


def _markdown(rows: list[dict], totals: dict, sides: dict[str, Side]) -> str:
    header = ["scenario", "expected", "proxy", "kernel", "same"]
    for _, label in FIGURES:
        header.append(f"{label} (proxy / kernel)")
    lines = []
    for row in rows:
        expected = row["proxy"]["expected"] or row["kernel"]["expected"]
        line = [cell(row["scenario"]), cell(expected), cell(_verdict(row["proxy"])),
                cell(_verdict(row["kernel"])), "yes" if row["same_verdict"] else "**no**"]
        for key, _ in FIGURES:
            line.append(f"{_shown(row['proxy']['figures'][key])} / {_shown(row['kernel']['figures'][key])}")
        lines.append(line)
    parts = [
        "# The matrix on both devices",
        f"**Proxy: {totals['proxy']['as_expected']} of {totals['proxy']['runs']} as expected. Kernel device: "
        f"{totals['kernel']['as_expected']} of {totals['kernel']['runs']} as expected. The same verdict on "
        f"both: {totals['same_verdict']} of {len(rows)}.**",
        table(header, lines) if rows else "_No runs._",
    ]
    differing = [row for row in rows if not row["same_verdict"]]
    if differing:
        parts.append("## Where the verdicts differ, and the facts that tell why")
        parts += [_why(row) for row in differing]
    for device in SIDES:
        for run_dir, why in sides[device].unreadable.items():
            parts.append(f"- {device}: {text(run_dir)} could not be read: {text(why)}")
    return "\n\n".join(parts) + "\n"


def _why(row: dict) -> str:
    proxy, kernel = row["proxy"], row["kernel"]
    lines = [f"### {text(row['scenario'])}: {cell(_verdict(proxy))} on the proxy, {cell(_verdict(kernel))} "
             "on the kernel device", ""]
    if row["left_out_on_kernel"]:
        lines.append("Left out on the kernel device (it has no mechanism for them):\n")
        lines += [f"- {text(line)}" for line in row["left_out_on_kernel"]]
    else:
        lines.append("Nothing of the scenario was left out on the kernel device.")
    lines += ["", "What the two runs measured:", ""]
    schedule = ", ".join(f"{t:g} s" for t in SYN_RETRANSMISSIONS_SECONDS[:3])
    for timeout in row["connect_timeouts_seconds"]:
        within = sum(t <= timeout for t in SYN_RETRANSMISSIONS_SECONDS)
        at_the_end = " (the first as the client gives up)" if timeout in SYN_RETRANSMISSIONS_SECONDS else ""
        lines.append(f"- The clients' connect timeout is {timeout:g} s; an unanswered SYN is sent again by "
                     f"the client's kernel {schedule}... after the first: {within} retransmission(s) fall "
                     f"within it{at_the_end}.")
    peak = [proxy["figures"]["peak_connection_attempts"], kernel["figures"]["peak_connection_attempts"]]
    limit = [proxy["figures"]["connection_setup_limit"], kernel["figures"]["connection_setup_limit"]]
    lines.append(f"- Peak connection attempts against the setup limit: proxy {_shown(peak[0])} vs "
                 f"{_shown(limit[0])}; kernel {_shown(peak[1])} vs {_shown(limit[1])}.")
    for key, label in FIGURES:
        shown = _shown(proxy["figures"][key]), _shown(kernel["figures"][key])
        lines.append(f"- {label}: proxy {shown[0]}, kernel {shown[1]}.")
    return "\n".join(lines)
