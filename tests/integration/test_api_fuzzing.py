"""schemathesis against every HTTP API of the real stack, in containers on Debian's library
versions: the proxy's admin API, each service role and the load generator's ``/stormlab/*``.
Every check, all four phases (examples, coverage, fuzzing, stateful), a fixed seed, a bounded
number of examples (``STORMLAB_FUZZ_EXAMPLES``, default: the components' settings). Any
failure or error fails the test, with schemathesis's own account of it.

On a stack of its own (the fuzzing leaves devices, links and settings no other test should
meet), with the services' ports published on loopback for it alone.
"""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.integration import api_fuzz
from tests.integration.conftest import ROOT, Stack, started

PUBLISH_SERVICES = "tests/integration/compose.publish-services.yml"
RESULTS = Path(os.environ.get("STORMLAB_FUZZ_RESULTS", ROOT / "results" / "api-fuzz"))
# Each run is a schemathesis process against another container: two at a time keep both cores
# busy (one run waits on its API's answers most of the time), the longest (the loadgen's) first.
PARALLEL = int(os.environ.get("STORMLAB_FUZZ_PARALLEL", "2"))


@pytest.fixture(scope="module")
def fuzz_stack():
    yield from started(Stack(f"stormlab-it-fuzz-{uuid.uuid4().hex[:8]}", (PUBLISH_SERVICES,)))


@pytest.mark.timeout(2400)
def test_no_api_has_a_finding(fuzz_stack):
    urls = {"proxy": fuzz_stack.url("proxy", 8474), "loadgen": fuzz_stack.url("loadgen", 8089)}
    urls |= {service: fuzz_stack.url(service, 8080) for service in api_fuzz.SERVICE_ROLES}
    examples = int(os.environ["STORMLAB_FUZZ_EXAMPLES"]) if os.environ.get("STORMLAB_FUZZ_EXAMPLES") else None
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = api_fuzz.runs(urls)
    longest_first = sorted(runs, key=lambda run: not run.api.startswith("loadgen"))
    with ThreadPoolExecutor(max_workers=max(1, PARALLEL)) as pool:
        by_api = dict(zip([run.api for run in longest_first],
                          pool.map(lambda run: api_fuzz.fuzz(run, RESULTS, examples), longest_first), strict=True))
    results = [by_api[run.api] for run in runs]  # the table in the usual order
    summary = api_fuzz.table(results)
    (RESULTS / "summary.md").write_text(summary + "\n")
    (RESULTS / "summary.json").write_text(json.dumps(
        [{"api": r.api, "operations": r.operations, "cases": r.cases, "failures": len(r.failures),
          "errors": len(r.errors), "seconds": round(r.seconds, 1)} for r in results], indent=2) + "\n")
    print("\n" + summary)
    dirty = [r for r in results if not r.clean]
    assert not dirty, "\n\n".join(f"{r.api}: exit {r.exit_code}\n{r.output[-6000:]}" for r in dirty)
    assert all(r.operations > 0 and r.cases > 0 for r in results), summary
