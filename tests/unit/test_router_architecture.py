"""The router's agent imports only the shared package and libraries: no other component."""

from __future__ import annotations

from tests.unit.test_architecture import COMPONENTS, imported_top_level_modules


def test_the_router_imports_no_other_component():
    found = imported_top_level_modules("router")
    assert found, "router/ has no Python files"
    offences = [f"{path} imports {module}" for path, modules in found.items()
                for module in sorted(modules & set(COMPONENTS))]
    assert offences == []


def test_no_other_component_imports_the_router():
    offences = [f"{path} imports router" for component in COMPONENTS
                for path, modules in imported_top_level_modules(component).items() if "router" in modules]
    assert offences == []
