"""Writes grafana/dashboards/*.json from the descriptions in this package.

    python -m grafana.build_dashboards          # regenerate
    python -m grafana.build_dashboards --check  # exit 1 if the committed JSON is out of step

The JSON is generated, never edited by hand: a unit test fails when it differs from what
this module writes. grafana/render.py builds it with the Grafana Foundation SDK (the dev
extra). Output is stable (sorted keys, indent 2) so diffs show real changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana import clients, device, operators, overview
from grafana.render import render

DASHBOARDS_DIR = Path(__file__).resolve().parent / "dashboards"


def rendered() -> dict[str, str]:
    """File name -> JSON text of every dashboard, named after its uid."""
    files = {}
    for module in (overview, operators, device, clients):
        dashboard = render(module.dashboard())
        files[f"{dashboard['uid']}.json"] = json.dumps(dashboard, indent=2, sort_keys=True) + "\n"
    return files


def out_of_step(directory: Path = DASHBOARDS_DIR) -> list[str]:
    """The files that differ from what this module writes, or that it would not write."""
    expected = rendered()
    present = {path.name for path in directory.glob("*.json")}
    differing = [
        name
        for name, text in expected.items()
        if name not in present or (directory / name).read_text() != text
    ]
    return sorted(differing + list(present - expected.keys()))


def write(directory: Path = DASHBOARDS_DIR) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    expected = rendered()
    for stale in sorted({path.name for path in directory.glob("*.json")} - expected.keys()):
        (directory / stale).unlink()  # a dashboard removed from the code leaves Grafana too
    for name, text in expected.items():
        (directory / name).write_text(text)
    return sorted(expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files out of step")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_step()
        for name in stale:
            print(f"out of step: grafana/dashboards/{name} (run python -m grafana.build_dashboards)")
        return 1 if stale else 0
    for name in write():
        print(f"wrote grafana/dashboards/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
