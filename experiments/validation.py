"""Every problem of a scenario, before anything starts: the file's own rules
(stormlab_common/scenario/), the names only the runner knows (a comparison's figure, from
experiments/figures.py, and the scenario it compares with), and what each of its parts would
send, checked by the rules of the component that would receive it, over the stack
docker-compose.yml defines (stormlab_common/scenario/stack_definition.py) as the scenario and
its earlier actions leave it (experiments/rehearsal.py). Each problem names its full path in
the scenario.

    problems = scenario_problems(read_scenario(path), read_stack_definition())
    scenario = checked_scenario(path, time_scale)   # or ConfigError naming every problem

A part too malformed to be sent (its own schema refuses it) is reported once, by the file's
rules; every well-formed part is still checked, so one run of the check shows every problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from experiments.figures import BY_NAME as FIGURES
from experiments.rehearsal import PaperLab, Where
from stormlab_common.config import NAME_SCHEMA, ConfigError
from stormlab_common.model import build, problems_of
from stormlab_common.scenario import Scenario, parse_scenario, read_scenario
from stormlab_common.scenario.actions import ACTIONS
from stormlab_common.scenario.file import Comparison, Trigger
from stormlab_common.scenario.service_under_test import ServiceUnderTest, clients_config
from stormlab_common.scenario.stack_definition import ROOT, StackDefinition, read_stack_definition

SCENARIOS = ROOT / "experiments"
_NAME = NAME_SCHEMA["pattern"]


def checked_scenario(path: str | Path, time_scale: float = 1.0,
                     stack: StackDefinition | None = None) -> Scenario:
    """The scenario at ``path``, scaled, if nothing in it would be refused; else ConfigError
    naming every problem. ``stack``: the stack's definition (read from the repository if None)."""
    path = Path(path)
    raw = read_scenario(path)
    problems = scenario_problems(raw, stack or read_stack_definition(), time_scale,
                                 others=scenario_names(path.parent))
    if problems:
        raise ConfigError(problems, f"scenario {path}")
    return parse_scenario(raw, time_scale, str(path))


def checked_scenarios(paths: Iterable[str | Path], time_scale: float = 1.0
                      ) -> tuple[list[Scenario], list[ConfigError]]:
    """Each file checked: the scenarios that passed, and one error per file that did not.
    ConfigError if the stack's definition itself cannot be read."""
    stack = read_stack_definition()
    scenarios, errors = [], []
    for path in paths:
        try:
            scenarios.append(checked_scenario(path, time_scale, stack))
        except ConfigError as exc:
            errors.append(exc)
    return scenarios, errors


def scenario_problems(raw: Any, stack: StackDefinition, time_scale: float = 1.0,
                      others: Iterable[str] | None = None) -> list[str]:
    """Every problem of the scenario ``raw`` (``extends:`` merged) run at ``time_scale``
    against ``stack``; ``others``: the scenarios its comparisons may name (None: any)."""
    try:
        parse_scenario(raw, time_scale)
        own: list[str] = []
    except ConfigError as exc:
        own = list(exc.problems)
    if not isinstance(raw, Mapping):
        return own
    own += figure_problems(raw)
    found = own + [problem for problem in sent_problems(raw, stack) if problem not in own]
    return found + ([] if others is None else comparison_problems(raw, set(others)))


def sent_problems(raw: Mapping, stack: StackDefinition) -> list[str]:
    """What the runner would send for each part, in its order (experiments/runner.py's
    ``_apply_settings``, then the timeline as experiments/timeline.py plans it), rehearsed."""
    clients = _mapping(raw.get("clients"))
    count = clients.get("count")
    lab = PaperLab(stack, count if isinstance(count, int) else 0)
    topology = _mapping(raw.get("topology"))
    for name, patch in _entries(topology.get("devices")):
        lab.where = Where(("topology", "devices", name))
        lab.patch_device(name, patch)
    own = _parsed(ServiceUnderTest, raw.get("service_under_test"))
    if own is not None:
        lab.where = Where(("service_under_test",))
        lab.put_link(own.link, own.link_config())
    for name, patch in _entries(topology.get("links")):
        lab.where = Where(("topology", "links", name))
        lab.patch_link(name, patch)
    for name, patch in _entries(raw.get("services")):
        lab.where = Where(("services", name))
        lab.patch_service(name, patch)
    config, seed = clients.get("config", {}), raw.get("seed", 1)
    if isinstance(config, Mapping):
        lab.where = Where(("clients", "config"))
        lab.configure_clients(clients_config(config, own or _stand_in(raw.get("service_under_test"))),
                              seed if _is_int(seed) else 1)
    timeline = _mapping(raw.get("timeline"))
    trigger = _parsed(Trigger, timeline.get("trigger"))
    if trigger is not None and trigger.boot_fetch and trigger.surge_factor > 1:
        lab.where = Where(("timeline", "trigger", "boot_fetch"))
        lab.set_client_setting("fetch_on_start", True)
    if trigger is not None and trigger.membership is not None:
        lab.where = Where(("timeline", "trigger", "membership"))
        lab.announce_membership(trigger.membership)
    actions = timeline.get("actions")
    for index, entry in enumerate(actions if isinstance(actions, list) else ()):
        do = entry.get("do") if isinstance(entry, Mapping) else None
        cls = ACTIONS.get(do) if isinstance(do, str) else None
        params = None if cls is None else _parsed(cls.Params, entry)
        if params is not None:
            at = ("timeline", "actions", index)
            lab.where = Where(at, cls.TARGET and (*at, cls.TARGET), cls.PATCH and (*at, cls.PATCH))
            cls(params).apply(lab)
    return lab.problems


def figure_problems(raw: Mapping) -> list[str]:
    """Each well-formed comparison must name a figure the runner computes (experiments/figures.py)."""
    compare = raw.get("compare")
    parsed = [(index, _parsed(Comparison, entry))
              for index, entry in enumerate(compare if isinstance(compare, list) else ())]
    return [f"compare.{index}.figure: unknown figure {comparison.figure!r}; figures: {', '.join(FIGURES)}"
            for index, comparison in parsed if comparison is not None and comparison.figure not in FIGURES]


def comparison_problems(raw: Mapping, others: set[str]) -> list[str]:
    """Each comparison must name a scenario there is a run of in a matrix: one of ``others``."""
    compare = raw.get("compare")
    entries = enumerate(compare if isinstance(compare, list) else ())
    named = [(index, entry.get("with")) for index, entry in entries if isinstance(entry, Mapping)]
    known = ", ".join(sorted(others))
    return [f"compare.{index}.with: no scenario {name!r} to compare with; scenarios: {known}"
            for index, name in named if isinstance(name, str) and name not in others]


def scenario_names(*directories: Path) -> set[str]:
    """The scenarios in ``directories`` and experiments/, by file name."""
    return {path.stem for directory in (*directories, SCENARIOS) for path in directory.glob("*.yaml")}


def _parsed(cls: type, data: Any) -> Any:
    """``data`` as a ``cls`` if well formed (its problems are the file's own rules' to report)."""
    return build(cls, data) if isinstance(data, Mapping) and not problems_of(cls, data) else None


def _stand_in(section: Any) -> ServiceUnderTest | None:
    """A malformed service under test whose link is a name still gives the clients their target
    of that name: what is wrong with it is the file's rules' to say, not the clients' config's."""
    link = section.get("link") if isinstance(section, Mapping) else None
    if isinstance(link, str) and re.fullmatch(_NAME, link):
        return ServiceUnderTest(link, upstream="unchecked:1", listen_port=1)
    return None


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _entries(value: Any) -> list[tuple[str, Mapping]]:
    """The entries of a mapping of names to settings that are well formed enough to send."""
    return [(name, patch) for name, patch in _mapping(value).items()
            if isinstance(name, str) and re.fullmatch(_NAME, name) and isinstance(patch, Mapping)]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
