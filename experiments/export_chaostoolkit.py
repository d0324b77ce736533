"""``python -m experiments export --chaostoolkit SCENARIO``: a stormlab scenario as a Chaos
Toolkit experiment for the chaostoolkit-stormlab extension (integrations/chaostoolkit/).

The translation, part by part:

- the lab (``topology``, ``clients``) becomes the arguments of the extension's control, which
  prepares it before the steady state is first measured and lets the baseline run until the
  trigger's time (``timeline.trigger.at``, or the warm-up without a trigger);
- the trigger becomes the method's ``fire_scaling_trigger``; each operator action the
  extension has an action for follows at its time (``wait`` in between), then a ``wait`` until
  the scenario's end: the recovery the verdict watches;
- the verdict's rule becomes the steady-state hypothesis: the share of requests that succeed
  over the run's last 10 s (the ``final`` window, not scaled) at least ``verdict.down_fraction``.
  stormlab calls a run down while goodput is below that fraction of its baseline; the clients
  are an open loop, so successes over requests started is goodput over its baseline. The
  verdict asks goodput to be back above the line for good within ``recover_within_seconds`` of
  the trigger's end (or the last action); a run that observes less than that (CI's half
  length) asks only that it is back by the end, which is what the last 10 s say. At full
  length stormlab is stricter: back 35 s after the trigger's end is metastable there and
  passes here. So an export of a metastable scenario deviates, of a recovered or stable one not;
- the rollbacks stop the clients and put back the device and the clients' config.

Times stay at full length, as in the scenario: the experiment's ``stormlab_time_scale`` (its
default the ``--time-scale`` of the export, ``STORMLAB_TIME_SCALE`` at run time) scales them
as the runner's ``--time-scale`` does. What has no activity in the extension is refused, each
part named: a hysteresis ramp, a service's live settings (the services' admin API is not
published), an operator action of another kind. The scenario's own checks (``hypothesis``)
and comparisons are not exported: they are stormlab's claims about a run, in its run.json.
"""

from __future__ import annotations

import json
from typing import Any

from stormlab_common.scenario import Scenario

ACTIONS, PROBES, CONTROL = "chaosstormlab.actions", "chaosstormlab.probes", "chaosstormlab.control"
FINAL_SECONDS = 10  # the verdict's final look, as the runner's "final" window: not scaled
MIN_WINDOW = 4  # the probe's least: two of Prometheus's 2 s scrapes
DISABLE_SPAWN_RATE = 100  # clients stopped per second by disable_sources, as the runner's lab stops them
CONNECTIONS = {  # the stack's published ports (docker-compose.yml), each overridable from the environment
    "stormlab_proxy_url": ("STORMLAB_PROXY_URL", "http://127.0.0.1:8474"),
    "stormlab_loadgen_url": ("STORMLAB_LOADGEN_URL", "http://127.0.0.1:8089"),
    "stormlab_prometheus_url": ("STORMLAB_PROMETHEUS_URL", "http://127.0.0.1:9090"),
    "stormlab_dns_admin_url": ("STORMLAB_DNS_ADMIN_URL", ""),
    "stormlab_compose_project": ("COMPOSE_PROJECT_NAME", "stormlab"),
}


class ExportRefused(ValueError):
    """The scenario holds what a Chaos Toolkit experiment of the extension cannot express."""

    def __init__(self, scenario: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"scenario {scenario} cannot be exported to Chaos Toolkit:\n  "
                         + "\n  ".join(problems))


def chaostoolkit_experiment(scenario: Scenario) -> dict[str, Any]:
    """The experiment, as JSON-ready data; ExportRefused naming every part it cannot express."""
    raw = scenario.raw
    problems = inexpressible(raw)
    if problems:
        raise ExportRefused(scenario.file, problems)
    timeline, trigger = raw["timeline"], raw["timeline"]["trigger"]
    warmup = trigger["at"] if trigger else timeline["warmup"]
    # The same probe runs before the method: its window must lie in the baseline, which runs
    # at least min(warm-up, 10 s) at any time scale (as the runner's warm-up); 4 s at least.
    window = max(MIN_WINDOW, min(FINAL_SECONDS, warmup))
    expected = raw["expect"]["verdict"]
    return {
        "version": "1.0.0",
        "title": f"stormlab {raw['name']}: expected {expected}",
        "description": " ".join(raw["description"].split()) + " Expected: " + " ".join(
            raw["expect"]["reasoning"].split()),
        "tags": ["stormlab", raw["name"], expected],
        "extensions": [{
            "name": "stormlab",
            "scenario": raw["name"],
            "file": scenario.file,
            "expected_verdict": expected,
            "expected_deviated": expected == "metastable",
            "time_scale": scenario.time_scale,
            "exported_by": "python -m experiments export --chaostoolkit",
        }],
        "configuration": _configuration(scenario.time_scale),
        "controls": [{"name": "stormlab-lab", "provider": {"type": "python", "module": CONTROL, "arguments": {
            "devices": raw["topology"]["devices"],
            "links": raw["topology"]["links"],
            "clients": {"count": raw["clients"]["count"], "spawn_rate": raw["clients"]["spawn_rate"],
                        "seed": raw["seed"], "config": raw["clients"]["config"]},
            "warmup_seconds": warmup,
        }}}],
        "steady-state-hypothesis": _hypothesis(raw["verdict"]["down_fraction"], window),
        "method": _method(raw),
        "rollbacks": [
            _activity("action", "stop the clients", ACTIONS, "stop_clients", {}),
            _activity("action", "put the device back as the run found it", ACTIONS, "restore_proxy", {}),
            _activity("action", "put the clients' config back as the run found it", ACTIONS,
                      "restore_clients_config", {}),
        ],
    }


def inexpressible(raw: dict) -> list[str]:
    """Each part of the scenario the extension has no activity for, with what to do instead."""
    problems = [f"{key}: a part of a scenario the export does not know; it exports only "
                f"{', '.join(sorted(_UNDERSTOOD))}" for key, value in raw.items()
                if key not in _UNDERSTOOD and value not in (None, {}, [])]
    if raw.get("ramp"):
        problems.append("ramp: a hysteresis ramp (the offered load held at a staircase of levels) has no "
                        "Chaos Toolkit activity; run it with `python -m experiments hysteresis`")
    for service in raw.get("services") or {}:
        problems.append(f"services.{service}: a service's live settings need the services' admin API "
                        "(PATCH /admin/config), which the stack does not publish; the extension has no "
                        "action for them")
    for index, step in enumerate(raw["timeline"].get("actions") or ()):
        if step["do"] not in _ACTION_EXPORTS:
            known = ", ".join(sorted(_ACTION_EXPORTS))
            problems.append(f"timeline.actions.{index} ({step.get('name') or step['do']}): the extension "
                            f"has no action for do: {step['do']} (it has {known})")
    return problems


def _method(raw: dict) -> list[dict]:
    timeline, trigger = raw["timeline"], raw["timeline"]["trigger"]
    method, now = [], timeline["warmup"]
    clients = raw["clients"]["count"]
    if trigger:
        what = [f"clients x{trigger['surge_factor']:g} for {trigger['duration']:g} s"]
        if trigger.get("membership"):
            what.insert(0, f"new membership of {trigger['membership']}")
        if trigger.get("boot_fetch"):
            what.append("booting together")
        name = f"scaling activity: {', '.join(what)}"
        method.append(_activity("action", name, ACTIONS, "fire_scaling_trigger", {
            "surge_factor": trigger["surge_factor"], "duration_seconds": trigger["duration"],
            "membership": trigger.get("membership"), "boot_fetch": bool(trigger.get("boot_fetch")),
            "baseline_clients": clients}))
        now = trigger["at"] + trigger["duration"]
    for index, step in enumerate(timeline.get("actions") or ()):
        name = step.get("name") or f"{step['do'].replace('_', '-')}-{index + 1}"
        if step["at"] > now:
            method.append(_wait(step["at"] - now, f"until {name} at {step['at']:g} s"))
        now = max(now, step["at"])
        activity, clients = _ACTION_EXPORTS[step["do"]](step, clients)
        method.append({**activity, "name": f"{name}: {activity['name']}"})
    method.append(_wait(timeline["end"] - now, f"the recovery: {timeline['end'] - now:g} s to the end, at "
                                                f"{timeline['end']:g} s"))
    return method


def _move_link(step: dict, clients: int) -> tuple[dict, int]:
    return _activity("action", f"move link {step['link']} to device {step['device']}", ACTIONS, "move_link",
                     {"link": step["link"], "device": step["device"]}), clients


def _device_limits(step: dict, clients: int) -> tuple[dict, int]:
    return _activity("action", f"change device {step['device']}", ACTIONS, "set_device_limits",
                     {"device": step["device"], "limits": step["limits"], "create_if_missing": True}), clients


def _switch_policy(step: dict, clients: int) -> tuple[dict, int]:
    name = f"switch the clients to {step['policy']['name']}"
    return _activity("action", name, ACTIONS, "switch_retry_policy", {"policy": step["policy"]}), clients


def _disable_sources(step: dict, clients: int) -> tuple[dict, int]:
    left = round(clients * (1 - step["fraction"]))  # as the action does (stormlab_common/scenario/actions/)
    return _activity("action", f"disable {step['fraction']:.0%} of the client sources ({left} left)", ACTIONS,
                     "start_clients", {"count": left, "spawn_rate": DISABLE_SPAWN_RATE}), left


# The scenario's keys the export translates (or refuses, or leaves out on purpose: hypothesis,
# compare, order); a key it does not know is refused rather than silently dropped.
_UNDERSTOOD = {"name", "description", "expect", "clients", "timeline", "order", "seed", "verdict", "topology",
               "services", "hypothesis", "compare", "ramp"}
_ACTION_EXPORTS = {"move_link": _move_link, "device_limits": _device_limits, "switch_policy": _switch_policy,
                   "disable_sources": _disable_sources}


def _hypothesis(down_fraction: float, window: float) -> dict:
    share = f"{down_fraction:.0%}"
    return {
        "title": f"Goodput is up: at least {share} of the requests succeed (below that, stormlab's verdict "
                 "calls it down)",
        "probes": [{
            "type": "probe",
            "name": f"at least {share} of the requests started over the last {window:g} s succeed",
            "tolerance": {"type": "range", "range": [down_fraction, 1.0]},
            "provider": {"type": "python", "module": PROBES, "func": "goodput_ratio",
                         "arguments": {"window_seconds": window}},
        }],
    }


def _wait(seconds: float, why: str) -> dict:
    return _activity("action", why, ACTIONS, "wait", {"seconds": seconds})


def _activity(kind: str, name: str, module: str, func: str, arguments: dict) -> dict:
    provider = {"type": "python", "module": module, "func": func}
    if arguments:
        provider["arguments"] = arguments
    return {"type": kind, "name": name, "provider": provider}


def _configuration(time_scale: float) -> dict:
    config = {key: {"type": "env", "key": env, "default": default}
              for key, (env, default) in CONNECTIONS.items()}
    config["stormlab_time_scale"] = {"type": "env", "key": "STORMLAB_TIME_SCALE", "default": time_scale,
                                     "env_var_type": "float"}
    return config


def rendered(experiment: dict) -> str:
    return json.dumps(experiment, indent=2) + "\n"
