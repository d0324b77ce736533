"""Which scenario file a command line means: a path to a file, or the name of one in
experiments/ (``retry-storm`` is experiments/retry-storm.yaml). A name that is neither is
refused with the names there are, so a typo is mended at once, not looked up elsewhere."""

from __future__ import annotations

from pathlib import Path

from stormlab_common.config import ConfigError

HERE = Path(__file__).resolve().parent
SUFFIXES = (".yaml", ".yml")


def scenario_names() -> list[str]:
    """The names of the scenarios in experiments/, sorted."""
    return sorted(path.stem for path in HERE.glob("*.yaml"))


def scenario_path(name: str) -> Path:
    """The file ``name`` means; ConfigError listing the scenarios when it means none."""
    path = Path(name)
    if path.exists():
        return path
    own = HERE / (path.name if path.suffix in SUFFIXES else f"{name}.yaml")
    if path.parent == Path(".") and own.exists():  # a scenario's name, or its file name, alone
        return own
    what = "no such file" if path.suffix in SUFFIXES or len(path.parts) > 1 else "no such scenario"
    raise ConfigError([f"{name}: {what}; expected a scenario file or the name of one in experiments/: "
                       f"{', '.join(scenario_names())}"], "scenario name")


def hysteresis_scenarios() -> list[Path]:
    """The hysteresis loops (experiments/hysteresis/), naive first: the others extend it."""
    return sorted((HERE / "hysteresis").glob("*.yaml"), key=lambda path: (path.stem != "naive", path.stem))


def all_scenarios() -> list[Path]:
    """Every scenario in experiments/, in the matrix's order (a file that does not load last)."""
    return sorted(HERE.glob("*.yaml"), key=_matrix_order)


def _matrix_order(path: Path) -> tuple:
    from stormlab_common.scenario import load_scenario

    try:
        return (load_scenario(path).spec.order, path.name)
    except ConfigError:
        return (99, path.name)
