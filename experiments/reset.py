"""``python -m experiments reset`` (``make reset``): the running stack's live state back to what
its files define (docker-compose.yml and the config files it names, read offline by
stormlab_common/scenario/stack_definition.py), saying each thing it changed.

A live change (a ``curl -X PATCH`` from the README, a run cut short by a kill) outlives the
command that made it; this is the documented way back. Through the components' own APIs:

- the proxy: every device the files define, created if gone and patched back; every link
  patched back (so moved back first), created if gone; then links and devices the files do
  not define deleted; then the process-wide settings. A change the proxy refuses (409) in this
  order, e.g. a burst against a chunk size not yet put back, is tried once more at the end;
- every service's live sections, on every replica;
- the clients' config: the live patch dropped (``PUT /stormlab/config {}``).

Each patch is the ``restoring_patch`` from now to the files' state, so nothing the files do
not define survives. What it leaves is said, not hidden: clients running, a service scaled
out by the trigger, a base config edited since locust started (only a restart reads it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from experiments.change_bodies import proxy_restore_body, restoring_patch, service_restore_body
from experiments.errors import ComponentError, StackError
from stormlab_common.config import dotted
from stormlab_common.contracts.loadgen_patch import patched_config
from stormlab_common.model import dump
from stormlab_common.scenario.stack_definition import StackDefinition

CONFLICT = 409


@dataclass
class Outcome:
    changed: list[str] = field(default_factory=list)  # one line per thing put back, with how
    failed: list[str] = field(default_factory=list)  # what could not be put back, and why
    notes: list[str] = field(default_factory=list)  # what a reset cannot undo, for the reader


@dataclass
class _Step:
    what: str  # "device border"
    how: str  # "downstream.bytes_per_second: 1000000 -> 1500000"
    run: Callable[[], object]


def reset_stack(definition: StackDefinition, proxy, services, loadgen) -> Outcome:
    """Puts the proxy, every service of ``definition`` and the clients' config back to
    ``definition``; the clients are experiments/clients/ (proxy, services, loadgen)."""
    outcome = Outcome()
    steps = _read(outcome, "the proxy", lambda: proxy_steps(definition, proxy))
    for service in definition.services:
        answers = _read(outcome, service, lambda service=service: services.replica_configs(service))
        steps += service_steps(definition, services, service, answers)
        if len(answers) > 1:  # the files start one of each; only the trigger adds replicas
            outcome.notes.append(f"{service} runs {len(answers)} replicas, the files start 1: a reset leaves "
                                 f"them (make trigger SERVICE={service} REPLICAS=1 scales it back)")
    steps += _read(outcome, "the clients' config", lambda: client_steps(loadgen))
    retry = []
    for step in steps:
        if _run(step, outcome, retry_on_conflict=True):
            retry.append(step)
    for step in retry:  # (the others are back now: what conflicted with them may go through)
        _run(step, outcome, retry_on_conflict=False)
    outcome.notes += _client_notes(definition, loadgen)
    return outcome


def proxy_steps(definition: StackDefinition, proxy) -> list[_Step]:
    defined_devices = {name: dump(config) for name, config in definition.proxy.devices.items()}
    defined_links = {name: dump(config) for name, config in definition.proxy.links.items()}
    devices = {found["name"]: proxy_restore_body(found) for found in proxy.devices()}
    links = {found["name"]: proxy_restore_body(found) for found in proxy.links()}
    steps = []
    for name, config in defined_devices.items():
        if name not in devices:
            body = {"name": name, **config}
            steps.append(_Step(f"device {name}", "created again (the files define it)",
                               lambda body=body: proxy.create_device(body)))
        elif config != devices[name]:
            patch = restoring_patch(config, devices[name])
            steps.append(_Step(f"device {name}", _how(config, devices[name]),
                               lambda name=name, patch=patch: proxy.patch_device(name, patch)))
    for name, config in defined_links.items():
        if name not in links:
            body = {"name": name, **config}
            steps.append(_Step(f"link {name}", "created again (the files define it)",
                               lambda body=body: proxy.create_link(body)))
        elif config != links[name]:
            patch = restoring_patch(config, links[name])
            steps.append(_Step(f"link {name}", _how(config, links[name]),
                               lambda name=name, patch=patch: proxy.patch_link(name, patch)))
    for name in sorted(set(links) - set(defined_links)):
        steps.append(_Step(f"link {name}", "deleted (the files do not define it)",
                           lambda name=name: proxy.delete_link(name)))
    for name in sorted(set(devices) - set(defined_devices)):  # after the links that used them moved back
        steps.append(_Step(f"device {name}", "deleted (the files do not define it)",
                           lambda name=name: proxy.delete_device(name, missing_ok=True)))
    defined, now = dump(definition.proxy.settings), proxy.settings()
    if defined != now:
        patch = restoring_patch(defined, now)
        steps.append(_Step("the proxy's settings", _how(defined, now), lambda: proxy.patch_settings(patch)))
    return steps


def service_steps(definition: StackDefinition, services, service: str, answers: list[dict]) -> list[_Step]:
    """One patch for every replica (``answers``: what each has): the restoring patches of them
    all, merged (replicas are changed together, so they are alike unless a change reached
    only some)."""
    defined_config = dump(definition.services[service])
    patch, how = {}, ""
    for found in answers:
        now = service_restore_body(found)
        defined = {section: defined_config[section] for section in now}
        if defined != now:
            patch = _merged(patch, restoring_patch(defined, now))
            how = how or _how(defined, now)
    if not patch:
        return []
    return [_Step(f"{service}'s settings", how, lambda: services.patch_config(service, patch))]


def client_steps(loadgen) -> list[_Step]:
    patch = loadgen.config().get("patch") or {}
    if not patch:
        return []
    keys = ", ".join(sorted(patch))
    return [_Step("the clients' config", f"live patch of {keys} dropped, back to its base",
                  lambda: loadgen.put_config({}))]


def _client_notes(definition: StackDefinition, loadgen) -> list[str]:
    notes = []
    try:
        answer = loadgen.config()
    except (ComponentError, StackError):
        answer = {}  # its failure is told already
    if answer and not answer.get("patch") and answer.get("config") != dump(
            patched_config(definition.loadgen_base, {})):
        notes.append("the clients' base config differs from loadgen/config.yml (edited since locust "
                     "started?): only a restart reads it (make down && make up)")
    try:
        running = not loadgen.stopped()
    except (ComponentError, StackError) as exc:
        return [*notes, f"whether clients are running could not be read: {exc}"]
    if running:
        notes.append("clients are running (started from locust's page?): a reset leaves them; stop them "
                     "there")
    return notes


def main(project: str | None, engine: str | None = None) -> int:
    """The command: 0 when everything is back (or was), 3 when something could not be put back
    or the stack is not there, 2 when the stack's files cannot be read."""
    import sys

    from experiments.lab import Lab
    from experiments.stack import Stack
    from stormlab_common.config import ConfigError
    from stormlab_common.scenario.stack_definition import read_stack_definition

    try:
        definition = read_stack_definition()
    except ConfigError as exc:
        print(f"experiments: reset: {exc}", file=sys.stderr)
        return 2
    try:
        stack = Stack(project, engine)
        stack.ensure_up(start=False)  # a stack that is not up has nothing live to put back
        outcome = reset_stack(definition, *_clients(Lab(stack)))
    except StackError as exc:
        print(f"experiments: reset: {exc}", file=sys.stderr)
        return 3
    print("\n".join(told(outcome, stack.project)))
    return 3 if outcome.failed else 0


def _clients(lab) -> tuple:
    return lab.proxy, lab.services, lab.loadgen


def _read(outcome: Outcome, what: str, read: Callable[[], list]) -> list:
    try:
        return read()
    except (ComponentError, StackError) as exc:
        outcome.failed.append(f"{what}: could not be read: {exc}")
        return []


def _run(step: _Step, outcome: Outcome, *, retry_on_conflict: bool) -> bool:
    """Runs a step; True when it should be tried again after the others (a conflict)."""
    try:
        step.run()
    except ComponentError as exc:
        if retry_on_conflict and exc.status == CONFLICT:
            return True
        outcome.failed.append(f"{step.what}: {exc}")
        return False
    except StackError as exc:
        outcome.failed.append(f"{step.what}: {exc}")
        return False
    outcome.changed.append(f"{step.what}: {step.how}")
    return False


def _how(defined: Any, now: Any) -> str:
    """What a restoring patch changes, leaf by leaf: ``downstream.bytes_per_second: 1000000
    -> 1500000``; a key the files do not have ``-> unset``, one they have and now lacks
    ``unset -> ...``."""
    return "; ".join(differences(defined, now))


def differences(defined: Any, now: Any, path: tuple = ()) -> list[str]:
    if not isinstance(defined, Mapping) or not isinstance(now, Mapping):
        return [f"{dotted(path)}: {_shown(now)} -> {_shown(defined)}"]
    found = []
    for key in [*defined, *(key for key in now if key not in defined)]:
        if key not in now:
            found.append(f"{dotted((*path, key))}: unset -> {_shown(defined[key])}")
        elif key not in defined:
            found.append(f"{dotted((*path, key))}: {_shown(now[key])} -> unset")
        elif defined[key] != now[key]:
            found += differences(defined[key], now[key], (*path, key))
    return found


def _shown(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True)


def _plain(value: Any) -> Any:
    """Integral floats as integers: the proxy keeps 100 setups/s as 100.0; 100 is what was written."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return [_plain(item) for item in value] if isinstance(value, list) else value


def _merged(first: dict, second: dict) -> dict:
    merged = dict(first)
    for key, value in second.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def told(outcome: Outcome, project: str) -> list[str]:
    """What ``reset`` prints: each change, each failure, each note, and a last line."""
    lines = [f"  {line}" for line in outcome.changed]
    lines += [f"  NOT put back: {line}" for line in outcome.failed]
    lines += [f"  note: {line}" for line in outcome.notes]
    if outcome.failed:
        lines.append(f"reset: project {project!r}: {len(outcome.failed)} thing(s) could not be put back "
                     "(above); the rest is as the stack's files define it")
    elif outcome.changed:
        lines.insert(0, f"reset: project {project!r} put back to what the stack's files define:")
    else:
        lines.insert(0, f"reset: project {project!r}: nothing to put back; the proxy, the services and the "
                        "clients' config are as the stack's files define them")
    return lines
