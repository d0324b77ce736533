"""What this process changed on the stack, and how to put it back.

Every change the extension makes to a device, a link or the clients' config first records
how the thing was (once: the state before the first change), in this process's memory:
one ``chaos run`` is one process, so the rollbacks and the control's cleanup see what the
method and the control changed. ``restore`` puts each back with the merge patch that turns
its state now into the recorded one (keys added since are nulled, which is how the proxy
and the loadgen put a key back to its default), links before devices so that a device this
run created is deleted only once no link uses it.

``reset_to_definition`` is the other way back, for a stack left changed by someone else:
every device and link of a proxy config file (the stack's proxy/config.yml) as the file
defines it, the others deleted, as ``python -m experiments reset`` does for the proxy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chaoslib.exceptions import ActivityFailed

from chaosstormlab.http import Refused
from chaosstormlab.loadgen import LoadgenApi
from chaosstormlab.proxy import ProxyApi

CONFLICT = 409


@dataclass
class _Recorded:
    devices: dict[str, dict | None] = field(default_factory=dict)  # config before; None: created here
    links: dict[str, dict] = field(default_factory=dict)
    clients_patch: dict | None = None  # the clients' patch before the first change; None: untouched


_BY_STACK: dict[str, _Recorded] = {}  # per proxy (or loadgen) URL


def _recorded(url: str) -> _Recorded:
    return _BY_STACK.setdefault(url, _Recorded())


def before_device_change(proxy: ProxyApi, name: str) -> dict | None:
    """Records the device's config before this process first changes it; returns the device as
    it is now (None: there is no such device)."""
    found = proxy.device(name)
    record = _recorded(proxy.api.url)
    if name not in record.devices:
        record.devices[name] = copy.deepcopy(found["config"]) if found else None
    return found


def before_link_change(proxy: ProxyApi, name: str) -> dict:
    found = proxy.link(name)
    if found is None:
        known = ", ".join(link["name"] for link in proxy.links()) or "(none)"
        raise ActivityFailed(f"the proxy has no link {name!r}; expected one of: {known}")
    _recorded(proxy.api.url).links.setdefault(name, copy.deepcopy(found["config"]))
    return found


def before_clients_change(loadgen: LoadgenApi) -> dict:
    """Records the clients' config patch before this process first changes it; returns the
    loadgen's config answer now (``{"generation", "patch", "config", "workers"}``)."""
    answer = loadgen.config()
    record = _recorded(loadgen.api.url)
    if record.clients_patch is None:
        record.clients_patch = copy.deepcopy(answer.get("patch") or {})
    return answer


def pending(proxy: ProxyApi, loadgen: LoadgenApi) -> list[str]:
    """What this process changed and has not put back yet, one line each."""
    record, clients = _recorded(proxy.api.url), _recorded(loadgen.api.url)
    lines = [f"device {name}" for name in record.devices] + [f"link {name}" for name in record.links]
    return lines + (["the clients' config"] if clients.clients_patch is not None else [])


def restore_proxy(proxy: ProxyApi) -> dict:
    """Every device and link this process changed, back as it found them."""
    record = _recorded(proxy.api.url)
    steps = []
    for name, before in record.links.items():
        steps.append(_Step(f"link {name}", lambda name=name, before=before: _patch_back(
            proxy.link(name), before, lambda patch, name=name: proxy.patch_link(name, patch)),
            lambda name=name: record.links.pop(name, None)))
    for name, before in record.devices.items():
        if before is None:
            steps.append(_Step(f"device {name}", lambda name=name: _delete_created_device(proxy, name),
                               lambda name=name: record.devices.pop(name, None)))
        else:
            steps.append(_Step(f"device {name}", lambda name=name, before=before: _patch_back(
                proxy.device(name), before, lambda patch, name=name: proxy.patch_device(name, patch)),
                lambda name=name: record.devices.pop(name, None)))
    return _run(steps, "the proxy's devices and links this run changed")


def restore_clients_config(loadgen: LoadgenApi) -> dict:
    """The clients' config patch back to what it was before this process changed it."""
    record = _recorded(loadgen.api.url)
    if record.clients_patch is None:
        return {"restored": [], "failed": []}
    before = record.clients_patch

    def put_back() -> str:
        loadgen.put_config(before)
        return "patch as before this run" if before else "its base config (no live patch)"

    return _run([_Step("the clients' config", put_back, lambda: setattr(record, "clients_patch", None))],
                "the clients' config")


def reset_to_definition(proxy: ProxyApi, definition: Mapping[str, Any]) -> dict:
    """Every device and link of ``definition`` (a proxy config: ``{"devices": {...}, "links":
    {...}}``) as it defines them, created if gone; links and devices it does not define deleted."""
    devices, links = _defined(definition, "devices"), _defined(definition, "links")
    found_devices = {d["name"]: d for d in proxy.devices()}
    found_links = {link["name"]: link for link in proxy.links()}
    steps = []
    for name, config in devices.items():
        if name in found_devices:
            steps.append(_Step(f"device {name}", lambda name=name, config=config: _patch_back(
                proxy.device(name), config, lambda patch, name=name: proxy.patch_device(name, patch))))
        else:
            steps.append(_Step(f"device {name}", lambda name=name, config=config: _created(
                proxy.create_device(name, config))))
    for name, config in links.items():
        if name in found_links:
            steps.append(_Step(f"link {name}", lambda name=name, config=config: _patch_back(
                proxy.link(name), config, lambda patch, name=name: proxy.patch_link(name, patch))))
        else:
            steps.append(_Step(f"link {name}", lambda name=name, config=config: _created(
                proxy.create_link(name, config))))
    for name in sorted(set(found_links) - set(links)):
        steps.append(_Step(f"link {name}", lambda name=name: _deleted(proxy.delete_link(name))))
    for name in sorted(set(found_devices) - set(devices)):  # after the links that used them moved back
        steps.append(_Step(f"device {name}", lambda name=name: _deleted(proxy.delete_device(name))))
    outcome = _run(steps, "the proxy's devices and links, as the definition has them")
    _BY_STACK.pop(proxy.api.url, None)  # nothing of this run's is left to put back
    return outcome


def restoring_patch(before: Any, now: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``now`` back into ``before``: keys added since
    are nulled, changed ones set back, mappings patched key by key (a patch never removes a key
    it does not name: a fault added during the run would stay)."""
    if not isinstance(before, Mapping) or not isinstance(now, Mapping):
        return copy.deepcopy(before)
    patch: dict[str, Any] = {key: None for key in now if key not in before}
    for key, value in before.items():
        if key not in now:
            patch[key] = copy.deepcopy(value)
        elif value != now[key]:
            patch[key] = restoring_patch(value, now[key])
    return patch


@dataclass
class _Step:
    what: str
    run: Callable[[], str]  # says how it was put back
    done: Callable[[], Any] = lambda: None  # forgets the record once put back


def _run(steps: list[_Step], what: str) -> dict:
    """Runs every step; one the proxy refuses as a conflict (409: say, a burst against a chunk
    size not yet put back) is tried once more after the others. ActivityFailed, after trying them
    all, naming each that could not be put back."""
    restored, failed, again = [], [], []
    for attempt in (1, 2):
        for step in steps if attempt == 1 else again:
            try:
                restored.append(f"{step.what}: {step.run()}")
                step.done()
            except Refused as exc:
                if attempt == 1 and exc.status == CONFLICT:
                    again.append(step)
                else:
                    failed.append(f"{step.what}: {exc}")
            except ActivityFailed as exc:
                failed.append(f"{step.what}: {exc}")
    if failed:
        raise ActivityFailed(f"could not put back {what}: " + " | ".join(failed)
                             + (f" (put back: {'; '.join(restored)})" if restored else ""))
    return {"restored": restored, "failed": failed}


def _patch_back(found: dict | None, before: dict, send: Callable[[dict], Any]) -> str:
    if found is None:
        raise ActivityFailed("it is gone from the proxy; expected it to be there to be put back")
    patch = restoring_patch(before, found["config"])
    if not patch:
        return "unchanged"
    send(patch)
    return "put back"


def _delete_created_device(proxy: ProxyApi, name: str) -> str:
    if proxy.device(name) is None:
        return "already gone"
    proxy.delete_device(name)
    return "deleted (this run created it)"


def _created(_answer: Any) -> str:
    return "created again (the definition has it)"


def _deleted(_answer: Any) -> str:
    return "deleted (the definition does not have it)"


def _defined(definition: Mapping[str, Any], key: str) -> dict[str, dict]:
    part = definition.get(key) or {}
    if not isinstance(part, Mapping) or not all(isinstance(v, Mapping) for v in part.values()):
        raise ActivityFailed(f"definition {key}: expected a mapping of names to {key[:-1]} configs "
                             f"(as proxy/config.yml has them), got {part!r}")
    return {name: dict(config) for name, config in part.items()}
