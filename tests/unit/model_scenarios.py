"""Scenario files for the model's tests, loaded in one place (stormlab_common.scenario, the
loader the runner uses too)."""

from __future__ import annotations

from pathlib import Path

from model.from_scenario import inputs_from_scenario
from stormlab_common.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "experiments"
CANONICAL = sorted(EXPERIMENTS.glob("*.yaml"))


def scenario(name_or_path, time_scale: float = 1.0):
    path = Path(name_or_path)
    if not path.suffix:
        path = EXPERIMENTS / f"{name_or_path}.yaml"
    return load_scenario(path, time_scale)


def lab(name_or_path="retry-storm", time_scale: float = 1.0):
    """The model's inputs for a scenario."""
    return inputs_from_scenario(scenario(name_or_path, time_scale))


__all__ = ["CANONICAL", "EXPERIMENTS", "ROOT", "lab", "load_scenario", "scenario"]
