"""docs/own-service.md shows the worked example as it is: its override and its scenario's own
keys are the files' (examples/own-service/), and every file it names exists."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs/own-service.md").read_text()
EXAMPLE = ROOT / "examples/own-service"
BLOCKS = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", PAGE, re.S)]


def test_the_override_shown_is_the_examples():
    (shown,) = [block for block in BLOCKS if "services" in block]
    assert shown == yaml.safe_load((EXAMPLE / "docker-compose.own.yml").read_text())


def test_the_scenario_shown_is_the_examples_but_for_its_prose():
    (shown,) = [block for block in BLOCKS if "service_under_test" in block]
    storm = yaml.safe_load((EXAMPLE / "storm.yaml").read_text())
    assert {key: value for key, value in shown.items() if key not in ("description", "expect")} == \
        {key: value for key, value in storm.items() if key not in ("description", "expect")}
    assert shown["expect"]["verdict"] == storm["expect"]["verdict"]


def test_every_file_the_page_names_exists():
    named = set(re.findall(r"`((?:examples|docs|tools|tests|stormlab_common)/[\w./-]+)`", PAGE))
    named |= set(re.findall(r"\b((?:docs|tests)/[\w/-]+\.(?:md|py))\b", PAGE))
    assert named and [path for path in sorted(named) if not (ROOT / path).exists()] == []
