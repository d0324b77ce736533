"""``python -m experiments export --chaostoolkit``: every scenario either becomes an experiment
chaoslib itself finds valid, with the scenario's lab, trigger, actions and timeline, or is
refused naming each part it cannot express."""

import json

import pytest

from tests.unit import chaostoolkit_support  # noqa: F401  (skips when the extension is not installed)

from chaoslib.experiment import ensure_experiment_is_valid  # isort: skip
from experiments.__main__ import main  # isort: skip
from experiments.export_chaostoolkit import ExportRefused, chaostoolkit_experiment, inexpressible  # isort: skip
from experiments.scenario_names import HERE, all_scenarios, hysteresis_scenarios  # isort: skip
from experiments.validation import checked_scenario  # isort: skip


def exported(name: str, time_scale: float = 1.0) -> dict:
    return chaostoolkit_experiment(checked_scenario(HERE / f"{name}.yaml", time_scale))


@pytest.mark.parametrize("path", all_scenarios(), ids=lambda p: p.stem)
def test_every_scenario_exports_to_a_valid_experiment_or_is_refused(path):
    scenario = checked_scenario(path, 0.5)
    if inexpressible(scenario.raw):
        with pytest.raises(ExportRefused):
            chaostoolkit_experiment(scenario)
        return
    experiment = chaostoolkit_experiment(scenario)
    ensure_experiment_is_valid(experiment)  # chaoslib's own check: modules, functions, arguments
    stormlab = experiment["extensions"][0]
    assert stormlab["expected_deviated"] is (scenario.expected_verdict == "metastable")
    assert experiment["configuration"]["stormlab_time_scale"]["default"] == 0.5


def test_retry_storm_is_its_lab_its_trigger_and_its_recovery():
    experiment = exported("retry-storm")
    arguments = experiment["controls"][0]["provider"]["arguments"]
    assert arguments["devices"]["border"]["connections"]["new_per_second"] == 100
    assert arguments["clients"]["count"] == 50 and arguments["clients"]["seed"] == 7
    assert arguments["clients"]["config"]["clients"]["internal"]["policy"] == {"name": "naive"}
    assert arguments["warmup_seconds"] == 30  # the baseline runs until the trigger's time
    trigger, recovery = experiment["method"]
    assert trigger["provider"]["func"] == "fire_scaling_trigger"
    assert trigger["provider"]["arguments"] == {"surge_factor": 4.0, "duration_seconds": 15.0, "membership": "api",
                                                "boot_fetch": True, "baseline_clients": 50}
    assert (recovery["provider"]["func"], recovery["provider"]["arguments"]) == ("wait", {"seconds": 55.0})
    probe = experiment["steady-state-hypothesis"]["probes"][0]
    assert probe["provider"]["func"] == "goodput_ratio" and probe["provider"]["arguments"] == {"window_seconds": 10}
    assert probe["tolerance"] == {"type": "range", "range": [0.5, 1.0]}  # verdict.down_fraction
    assert [r["provider"]["func"] for r in experiment["rollbacks"]] == [
        "stop_clients", "restore_proxy", "restore_clients_config"]
    assert experiment["extensions"][0]["expected_deviated"] is True


def test_a_recovered_scenario_is_expected_not_to_deviate():
    assert exported("retry-budget")["extensions"][0]["expected_deviated"] is False


def test_operator_actions_follow_at_their_times():
    method = exported("retry-storm-remediation")["method"]
    assert [(a["provider"]["func"], a["provider"].get("arguments", {}).get("seconds")) for a in method] == [
        ("fire_scaling_trigger", None), ("wait", 25.0), ("move_link", None), ("wait", 30.0),
        ("start_clients", None), ("switch_retry_policy", None), ("wait", 50.0)]
    assert method[4]["provider"]["arguments"] == {"count": 38, "spawn_rate": 100}  # a quarter of 50 disabled
    assert method[5]["provider"]["arguments"]["policy"]["name"] == "retry-budget"


def test_what_the_extension_cannot_express_is_refused_naming_it():
    with pytest.raises(ExportRefused) as refused:
        exported("load-shedding")
    assert refused.value.problems[0].startswith(
        "services.api: a service's live settings need the services' admin API (PATCH /admin/config), which the "
        "stack does not publish")
    with pytest.raises(ExportRefused, match=r"ramp: a hysteresis ramp .* run it with `python -m experiments "
                                            r"hysteresis`"):
        chaostoolkit_experiment(checked_scenario(hysteresis_scenarios()[0]))


def test_the_command_prints_or_writes_the_experiment(tmp_path, capsys):
    assert main(["export", "--chaostoolkit", "retry-budget", "--time-scale", "0.5"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["title"] == "stormlab retry-budget: expected recovered"
    assert main(["export", "--chaostoolkit", "retry-storm", "--output", str(tmp_path / "e.json")]) == 0
    assert json.loads((tmp_path / "e.json").read_text())["extensions"][0]["scenario"] == "retry-storm"


def test_the_command_refuses_what_it_cannot_export_with_exit_2(capsys):
    assert main(["export", "--chaostoolkit", "load-shedding"]) == 2
    assert "cannot be exported to Chaos Toolkit:\n  services.api:" in capsys.readouterr().err
    assert main(["export", "--chaostoolkit", "no-such-scenario"]) == 2
    assert "no-such-scenario: no such scenario" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["export", "retry-storm"])  # the format is not optional
    assert usage.value.code == 2
