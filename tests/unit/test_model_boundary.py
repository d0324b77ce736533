"""The map's predicted boundary: bigger triggers never help, and higher loads tip sooner."""

import itertools

import pytest

from model.boundary import at_load, boundary, cell, with_trigger
from stormlab_common.contracts.policies import FixedParams
from tests.unit.model_scenarios import lab

CAPPED = FixedParams(max_attempts=3, delay_seconds=0)


@pytest.fixture(scope="module")
def storm_lab():
    return lab("retry-storm")


@pytest.mark.parametrize("load", [0.3, 0.5, 0.7])
def test_a_bigger_trigger_never_turns_metastable_into_stable(storm_lab, load):
    verdicts = [cell(storm_lab, load, size, CAPPED) for size in (1.0, 1.5, 2.0, 3.0, 5.0)]
    for smaller, bigger in itertools.pairwise(verdicts):
        assert not (smaller != "stable" and bigger == "stable"), verdicts  # metastable above all


def test_the_boundary_falls_as_the_load_rises(storm_lab):
    found = boundary(storm_lab, [0.25, 0.45, 0.6, 0.75], CAPPED, tolerance=0.25)
    assert found[0.25] is None  # below capacity / 3 attempts nothing tips it
    sizes = [found[load] for load in (0.45, 0.6, 0.75)]
    assert None not in sizes and sizes == sorted(sizes, reverse=True)
    # the surge must push load x factor past capacity long enough to build a 1 s backlog
    assert found[0.6] == pytest.approx((1 + 1 / 15) / 0.6, abs=0.6)


def test_the_map_sizes_the_trigger_and_sets_the_load(storm_lab):
    inputs = with_trigger(at_load(storm_lab, 0.6, CAPPED), "duration", 5.0)
    assert inputs.clients.count == 50 and inputs.trigger.duration == 5.0 and inputs.end == 90.0
    assert inputs.clients.profiles[0].policy == CAPPED
