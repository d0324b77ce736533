"""Components meet only over the network: none imports another's code. What they share
(stormlab_common) and the offline model (model/) import no component's code either."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ["proxy", "services", "loadgen", "experiments"]
SHARED = "stormlab_common"
MODEL = "model"  # reads scenarios through stormlab_common.scenario, as the runner does


def imported_top_level_modules(package: str) -> dict[str, set[str]]:
    """The top-level modules each .py file under ``package`` imports (none if it has no files)."""
    found = {}
    folder = ROOT / package
    for path in sorted(folder.rglob("*.py")) if folder.is_dir() else ():
        modules = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = modules
    return found


def test_no_component_imports_another():
    offences = []
    for component in COMPONENTS:
        others = set(COMPONENTS) - {component}
        for path, modules in imported_top_level_modules(component).items():
            offences += [f"{path} imports {m}" for m in sorted(modules & others)]
    assert offences == []


def test_the_shared_package_imports_no_component():
    offences = [f"{path} imports {m}" for path, modules in imported_top_level_modules(SHARED).items()
                for m in sorted(modules & set(COMPONENTS))]
    assert offences == []


def test_the_model_imports_only_the_shared_package_and_libraries():
    """Every .py file under model/ there is (none yet: nothing to offend)."""
    offences = [f"{path} imports {m}" for path, modules in imported_top_level_modules(MODEL).items()
                for m in sorted(modules & set(COMPONENTS))]
    assert offences == []


def test_a_scenario_loads_with_no_component_imported():
    """What is imported while loading, not only what the files say: no component's module."""
    script = ("import sys; from stormlab_common.scenario import load_scenario; "
              "from stormlab_common.scenario.stack_definition import read_stack_definition; "
              "load_scenario('experiments/retry-storm-remediation.yaml', 0.5); read_stack_definition(); "
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(COMPONENTS)!r}))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr
