"""The parameter tables of docs/retry-policies.md, written from the policies' contract
(stormlab_common/contracts/policies.py), so the docs say what the code takes:
``python -m loadgen.policy_docs`` rewrites them; a unit test checks they agree.

In the docs, each table sits between ``<!-- parameters: <name>[, <name>...] -->`` and
``<!-- end parameters -->``; policies named together share one table.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from stormlab_common.contracts.policies import POLICY_PARAMS
from stormlab_common.model import schema_of

DOC = Path(__file__).resolve().parents[1] / "docs" / "retry-policies.md"
_TABLE = re.compile(r"(<!-- parameters: (?P<names>[a-z, -]+) -->\n)(?P<table>.*?)(<!-- end parameters -->)",
                    re.S)


def parameter_table(name: str) -> str:
    """The markdown table of one policy's parameters: name, default, range, meaning."""
    rows = ["| parameter | default | range | meaning |", "| --- | --- | --- | --- |"]
    for key, prop in schema_of(POLICY_PARAMS[name])["properties"].items():
        if key != "name":
            rows.append(f"| `{key}` | {_value(prop['default'])} | {_range(prop)} | {prop['description']} |")
    return "\n".join(rows) + "\n" if len(rows) > 2 else "No parameters.\n"


def rendered(text: str) -> str:
    """``text`` with every marked table written anew."""
    def table(match: re.Match) -> str:
        names = [name.strip() for name in match["names"].split(",")]
        tables = {parameter_table(name) for name in names}
        if len(tables) != 1:
            raise ValueError(f"{', '.join(names)} do not take the same parameters: give each its own table")
        return f"{match[1]}{tables.pop()}{match[4]}"

    return _TABLE.sub(table, text)


def marked_policies(text: str) -> list[str]:
    return [name.strip() for match in _TABLE.finditer(text) for name in match["names"].split(",")]


def _value(value) -> str:
    if isinstance(value, str):
        return f"`{value}`"
    return f"{value:g}".replace("e+0", "e").replace("e+", "e") if isinstance(value, float) else str(value)


def _range(prop: dict) -> str:
    if "enum" in prop:
        return " or ".join(f"`{option}`" for option in prop["enum"])
    low = ("(", prop["exclusiveMinimum"]) if "exclusiveMinimum" in prop else ("[", prop.get("minimum"))
    high = prop.get("maximum")
    if high is None:
        return f"> {_value(low[1])}" if low[0] == "(" else f"≥ {_value(low[1])}"
    return f"{low[0]}{_value(low[1])}, {_value(high)}]"


if __name__ == "__main__":
    DOC.write_text(rendered(DOC.read_text()))
    sys.exit(0)
