"""stormlab's runner, from the outside: a scenario run as the command line runs it
(``python -m experiments run <scenario> --no-start ...`` in a stormlab checkout, a
subprocess), and a run's record (its run.json, format 2: stormlab docs/experiments.md,
"run.json") read as plain JSON: the verdict and the figures.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from chaoslib.exceptions import ActivityFailed

from chaosstormlab.settings import Settings, time_scale_of

RUN_FILE = "run.json"
RUN_TIMEOUT = 1800.0  # seconds: the longest scenario at full length is a few minutes
EXIT_MISMATCH, EXIT_BAD_INPUT = 1, 2
TAIL = 600  # characters of the runner's output in a message


def summary(record: dict, run_dir: Path) -> dict:
    """What an experiment asks of a run: its verdict, whether it was the one expected, why,
    and its figures by name (each a number, or null where the run could not measure it)."""
    verdict = record.get("verdict") or {}
    return {
        "scenario": (record.get("scenario") or {}).get("name"),
        "status": record.get("status"),
        "error": record.get("error"),
        "verdict": verdict.get("verdict"),
        "expected": verdict.get("expected"),
        "matches": verdict.get("matches"),
        "reason": verdict.get("reason"),
        "figures": {name: (figure or {}).get("value")
                    for name, figure in (record.get("figures") or {}).items()},
        "checks": [{"name": c.get("name"), "passed": c.get("passed"), "value": c.get("value")}
                   for c in record.get("checks") or []],
        "time_scale": record.get("time_scale"),
        "run_dir": str(run_dir),
    }


def read_run(run: str | Path, scenario: str | None = None) -> dict:
    """The summary of a run: ``run`` is its run.json, its folder, or a results folder (its
    latest run, of ``scenario`` if given)."""
    path = Path(run)
    if path.is_dir() and not (path / RUN_FILE).exists():
        path = latest_run(path, scenario)
    elif path.is_dir():
        path = path / RUN_FILE
    if not path.is_file():
        raise ActivityFailed(f"run: no such run.json, run folder or results folder: {str(run)!r}")
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ActivityFailed(f"run: {path} is not a readable run record ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != 2:
        raise ActivityFailed(f"run: {path} is not a stormlab run record of format 2 (format "
                             f"{record.get('format') if isinstance(record, dict) else None!r}); "
                             "`python -m experiments.report RUN_DIR` converts an older one")
    return summary(record, path.parent)


def latest_run(results: Path, scenario: str | None = None) -> Path:
    """The newest run.json under ``results`` (run folders are named <UTC time>-<scenario>)."""
    runs = sorted(p for p in results.glob(f"*-{scenario}/{RUN_FILE}" if scenario else f"*/{RUN_FILE}")
                  if p.parent.name[:8].isdigit())
    if not runs:
        what = f" of scenario {scenario!r}" if scenario else ""
        raise ActivityFailed(f"run: no run{what} in {results} (expected folders <time>-<scenario>/run.json)")
    return runs[-1]


def run_scenario(settings: Settings, scenario: str, time_scale: Any, results: str, strict: bool,
                 timeout: float | None) -> dict:
    """Runs the scenario on the stack that is up; its summary once the runner has judged it."""
    if not isinstance(scenario, str) or not scenario:
        raise ActivityFailed(f"scenario: expected a scenario name (e.g. 'retry-storm') or file, "
                             f"got {scenario!r}")
    scale = time_scale_of(time_scale)
    repository = Path(settings.repository)
    if not (repository / "experiments" / "__main__.py").is_file():
        raise ActivityFailed(f"configuration stormlab_repository: {repository} is not a stormlab checkout "
                             "(no experiments/__main__.py); expected the folder `python -m experiments` "
                             "runs in")
    results_dir = (repository / results).resolve()
    command = [settings.python, "-m", "experiments", "run", scenario, "--no-start", "--no-progress",
               "--time-scale", f"{scale:g}", "--results", str(results_dir),
               "--project", settings.compose_project]
    if strict:
        command.append("--strict")
    started = time.time()
    try:
        done = subprocess.run(command, cwd=repository, capture_output=True, text=True,
                              timeout=timeout or RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ActivityFailed(f"the runner did not finish {scenario} within "
                             f"{timeout or RUN_TIMEOUT:g} s") from None
    except OSError as exc:
        raise ActivityFailed(f"could not start the runner ({settings.python}): {exc}; expected "
                             "stormlab_python to be the interpreter of stormlab's virtualenv") from None
    output = done.stdout + done.stderr
    if done.returncode == EXIT_BAD_INPUT:
        raise ActivityFailed(f"the runner refused scenario {scenario!r} (exit 2): {output.strip()[-TAIL:]}")
    run_dir = _run_dir_of(done.stdout, results_dir, started)
    if run_dir is None:
        raise ActivityFailed(f"the runner wrote no run of {scenario!r} (exit {done.returncode}): "
                             f"{output.strip()[-TAIL:]}")
    found = read_run(run_dir)
    if found["status"] != "complete":
        raise ActivityFailed(f"the run of {scenario!r} did not complete ({found['status']}: "
                             f"{found['error']}); partial results in {run_dir}")
    return {**found, "exit_code": done.returncode}


def _run_dir_of(stdout: str, results: Path, started: float) -> Path | None:
    """The run folder the runner names (``report: <dir>/report.md``), else the newest written since."""
    for line in reversed(stdout.splitlines()):
        for marker in ("report: ", "partial results: "):
            if marker in line:
                path = Path(line.split(marker, 1)[1].strip())
                path = path.parent if path.suffix == ".md" else path
                if (path / RUN_FILE).exists():
                    return path
    fresh = [p for p in results.glob(f"*/{RUN_FILE}") if p.stat().st_mtime >= started]
    return max(fresh, key=lambda p: p.stat().st_mtime).parent if fresh else None
