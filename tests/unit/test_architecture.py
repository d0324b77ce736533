"""Components meet only over the network: none imports another's code."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ["proxy", "services", "loadgen", "experiments"]
SHARED = "stormlab_common"


def imported_top_level_modules(package: str) -> dict[str, set[str]]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
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
