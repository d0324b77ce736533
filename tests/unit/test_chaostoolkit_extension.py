"""The extension as a package: it meets stormlab over the network only, its metric names are
stormlab's, `chaos discover` lists its activities, `chaos validate` catches a misspelt one,
and its examples are valid experiments; and the journal checker tools/test-chaostoolkit.sh uses."""

import ast
import importlib.util
import inspect
import json
from pathlib import Path

import pytest
import yaml

from tests.unit import chaostoolkit_support  # noqa: F401  (skips when the extension is not installed)

from chaoslib.exceptions import InvalidActivity  # isort: skip
from chaoslib.experiment import ensure_experiment_is_valid  # isort: skip
import chaosstormlab  # isort: skip
from chaosstormlab import actions, probes, promql  # isort: skip
from stormlab_common import metric_names  # isort: skip

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "integrations" / "chaostoolkit"
EXAMPLES = sorted((EXTENSION / "examples").iterdir())
STORMLAB_CODE = {"proxy", "services", "loadgen", "experiments", "router", "model", "stormlab_common"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_extension_imports_none_of_stormlabs_code():
    offences = [f"{path.name} imports {m}" for path in sorted((EXTENSION / "chaosstormlab").glob("*.py"))
                for m in sorted(imports(path) & STORMLAB_CODE)]
    assert offences == []


def test_the_runner_does_not_import_the_extension():
    assert "chaosstormlab" not in imports(ROOT / "experiments" / "export_chaostoolkit.py")


def test_the_metric_names_are_stormlabs():
    ours = {value for name, value in vars(promql).items() if name.isupper() and isinstance(value, str)
            and value.startswith("stormlab_")}
    theirs = {value for value in vars(metric_names).values() if isinstance(value, str)}
    assert ours and ours <= theirs, ours - theirs


def test_discovery_lists_every_activity():
    discovery = chaosstormlab.discover(discover_system=False)
    listed = {(a["type"], a["name"]) for a in discovery["activities"]}
    assert listed == {("action", name) for name in actions.__all__} | {("probe", name) for name in probes.__all__}
    trigger = next(a for a in discovery["activities"] if a["name"] == "fire_scaling_trigger")
    assert {"name": "surge_factor", "default": 4.0, "type": "number"} in trigger["arguments"]
    assert discovery["extension"] == {"name": "chaostoolkit-stormlab", "version": chaosstormlab.__version__}


def test_only_the_activities_are_functions_of_their_modules():
    # chaos validate accepts any function of the module: a helper imported into it would pass as an activity
    for module in (actions, probes):
        assert {name for name, _ in inspect.getmembers(module, inspect.isfunction)} == set(module.__all__)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_examples_are_valid_experiments(path):
    experiment = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    ensure_experiment_is_valid(experiment)
    assert experiment["extensions"][0]["name"] == "stormlab"


def _with_method(activity: dict) -> dict:
    experiment = json.loads((EXTENSION / "examples" / "retry-storm-naive.json").read_text())
    experiment["method"] = [activity]
    return experiment


def test_validation_catches_a_misspelt_activity():
    experiment = _with_method({"type": "action", "name": "surge", "provider": {
        "type": "python", "module": "chaosstormlab.actions", "func": "fire_trigger"}})
    with pytest.raises(InvalidActivity, match=r"The python module 'chaosstormlab.actions' does not expose a "
                                              r"function called 'fire_trigger'"):
        ensure_experiment_is_valid(experiment)


def test_validation_catches_a_misspelt_argument():
    experiment = _with_method({"type": "action", "name": "surge", "provider": {
        "type": "python", "module": "chaosstormlab.actions", "func": "fire_scaling_trigger",
        "arguments": {"surge": 4}}})
    with pytest.raises(InvalidActivity, match=r"argument 'surge' is not part of the function signature"):
        ensure_experiment_is_valid(experiment)


# --- the journal checker ----------------------------------------------------------------------
def _checker():
    spec = importlib.util.spec_from_file_location("check_journal", EXTENSION / "check_journal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name: str, output, tolerance_met: bool | None = True, kind: str = "probe", status: str = "succeeded"):
    run = {"activity": {"type": kind, "name": name, "tolerance": {"type": "range", "range": [0.9, 1.0]}},
           "status": status, "output": output}
    if tolerance_met is not None:
        run["tolerance_met"] = tolerance_met
    return run


def _journal(deviated: bool, after_ratio: float, expected: bool) -> dict:
    met = after_ratio >= 0.9
    return {"status": "completed", "deviated": deviated, "duration": 61.2,
            "experiment": {"title": "t", "extensions": [{"name": "stormlab", "expected_deviated": expected}]},
            "steady_states": {"before": {"steady_state_met": True, "probes": [_run("ratio", 0.99)]},
                              "after": {"steady_state_met": met, "probes": [_run("ratio", after_ratio, met)]}},
            "run": [_run("trigger", {}, None, "action"), _run("saturation", 3.1, None)],
            "rollbacks": [_run("stop", {}, None, "action")]}


def test_the_checker_passes_a_journal_that_deviated_as_expected(tmp_path, capsys):
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(_journal(deviated=True, after_ratio=0.02, expected=True)))
    assert _checker().main([str(path)]) == 0
    assert capsys.readouterr().out == (
        f"ok: {path}: completed, deviated true; before: ratio = 0.99 (within [0.9, 1]); after: ratio = 0.02 "
        "(OUTSIDE [0.9, 1]); method: saturation = 3.1 (61 s)\n")


def test_the_checker_names_what_went_otherwise(tmp_path, capsys):
    journal = _journal(deviated=False, after_ratio=0.97, expected=True)
    journal["status"] = "failed"
    journal["rollbacks"][0].update(status="failed", exception=["Traceback", "ActivityFailed: cannot reach"])
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(journal))
    assert _checker().main([str(path)]) == 1
    assert capsys.readouterr().err.splitlines()[1:] == [
        "  status is 'failed', expected 'completed'; 'stop' failed: ActivityFailed: cannot reach",
        "  rollback 'stop' failed: ActivityFailed: cannot reach",
        "  deviated is False, expected True: after the method, ratio = 0.97 (within [0.9, 1])"]


def test_the_checker_wants_a_number_from_every_probe(tmp_path, capsys):
    journal = _journal(deviated=True, after_ratio=0.0, expected=True)
    journal["steady_states"]["after"]["probes"] = [_run("ratio", None, False, status="failed")]
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(journal))
    assert _checker().main([str(path), "--expect-deviated", "true"]) == 1
    assert "after: probe 'ratio' gave no number: failed, None" in capsys.readouterr().err
