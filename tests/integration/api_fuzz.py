"""schemathesis against the three HTTP APIs of a running stack: the proxy's admin API, each
service role's API and the load generator's ``/stormlab/*``. Each component keeps its own
settings (``<component>/schemathesis.toml``: every check, all four phases, a fixed seed, a
bounded number of examples); this runs them and reads schemathesis's JSON report, so the
figures (operations tested, cases generated) and every finding come from schemathesis itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# A random live change may give a service a minute per request: run among the others, it,
# not the API, would decide how long their cases take. So the live change runs on its own.
SERVICE_RUNS = (("", ["--exclude-operation-id", "admin_config_change"]),
                (" live change", ["--include-path", "/admin/config"]))
SERVICE_ROLES = {"api": "control-plane", "dns": "dns", "kv": "kv", "monitoring": "monitoring-ingest"}


@dataclass(frozen=True)
class Run:
    api: str
    settings: Path
    document: str  # the OpenAPI document's URL
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    api: str
    operations: int
    cases: int
    failures: list
    errors: list
    exit_code: int
    seconds: float
    output: str

    @property
    def clean(self) -> bool:
        return self.exit_code == 0 and not self.failures and not self.errors


def runs(urls: dict[str, str]) -> list[Run]:
    """``urls``: the base URL of ``proxy``, ``loadgen`` and each service, by compose service."""
    found = [Run("proxy admin", ROOT / "proxy/schemathesis.toml", urls["proxy"] + "/openapi.json")]
    for service, role in SERVICE_ROLES.items():
        found += [Run(f"service {service} ({role}){what}", ROOT / "services/schemathesis.toml",
                      urls[service] + "/openapi.json", tuple(options)) for what, options in SERVICE_RUNS]
    # the filter keeps GET /stormlab/openapi.json, which schemathesis otherwise leaves out
    found.append(Run("loadgen /stormlab", ROOT / "loadgen/schemathesis.toml",
                     urls["loadgen"] + "/stormlab/openapi.json",
                     ("--url", urls["loadgen"], "--include-path-regex", "^/stormlab/")))
    return found


def command(run: Run, report: Path, max_examples: int | None) -> list[str]:
    extra = ["--max-examples", str(max_examples)] if max_examples else []
    return [SCHEMATHESIS, "--config-file", str(run.settings), "run", run.document, *run.options, *extra,
            "--report", "json", "--report-json-path", str(report), "--no-color"]


def fuzz(run: Run, report_dir: Path, max_examples: int | None = None, timeout: float = 900) -> Result:
    report = report_dir / (run.api.replace(" ", "-").replace("/", "").replace("(", "").replace(")", "") + ".json")
    done = subprocess.run(command(run, report, max_examples), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    output = done.stdout + done.stderr
    if not report.exists():
        return Result(run.api, 0, 0, [], [f"no report written; schemathesis said:\n{output[-3000:]}"],
                      done.returncode, 0.0, output)
    data = json.loads(report.read_text())
    return Result(run.api, data["operations"]["tested"], data["test_cases"]["generated"], data["failures"],
                  data["errors"], done.returncode, data["running_time"], output)


def table(results: list[Result]) -> str:
    lines = ["| API | operations tested | cases generated | failures | errors | seconds |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r.api} | {r.operations} | {r.cases} | {len(r.failures)} | {len(r.errors)} | {r.seconds:.0f} |"
              for r in results]
    return "\n".join(lines)
