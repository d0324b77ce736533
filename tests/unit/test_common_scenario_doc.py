"""docs/experiments.md's scenario format is the definition's: its tables are generated from
it (stormlab_common/scenario/doc.py), and its example uses no key the definition lacks."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from stormlab_common.scenario.actions import ACTIONS
from stormlab_common.scenario.doc import action_rows, key_rows, markdown_actions, markdown_keys

DOC = (Path(__file__).resolve().parents[2] / "docs/experiments.md").read_text()
FREE_FORM = ("topology.devices", "topology.links", "services", "clients.config")  # the components' formats


def test_the_docs_show_the_tables_generated_from_the_definition():
    assert markdown_keys() in DOC, "docs/experiments.md is out of step: python -m stormlab_common.scenario.doc"
    assert markdown_actions() in DOC, "docs/experiments.md is out of step: python -m stormlab_common.scenario.doc"


def test_every_key_and_every_action_parameter_says_what_it_means():
    assert all(meaning for _key, _type, _default, meaning in key_rows())
    assert [name for name, _, _ in action_rows()] == list(ACTIONS)
    assert all(params and doc for _name, params, doc in action_rows())


def keys_of(value, path: str = "") -> set[str]:
    found = set()
    for key, item in value.items():
        name = f"{path}{key}"
        found.add(name)
        if isinstance(item, dict) and name not in FREE_FORM:
            found |= keys_of(item, f"{name}.")
        elif isinstance(item, list):
            for entry in item:
                found |= keys_of(entry, f"{name}[].") if isinstance(entry, dict) else set()
    return found


def test_the_example_in_the_docs_uses_only_keys_the_definition_has():
    section = DOC[DOC.index("## Scenario files"):DOC.index("### Every key")]
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    documented = {key for key, _, _, _ in key_rows()}
    parameters = {f"timeline.actions[].{f.name}" for cls in ACTIONS.values() for f in dataclasses.fields(cls.Params)}
    used = keys_of(example) - {"extends"}  # read before the rest (stormlab_common/scenario/)
    assert used - documented - parameters == set()
    assert {"timeline.trigger.membership", "hypothesis[].relative_to_baseline", "topology.devices"} <= used
