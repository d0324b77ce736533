"""docs/retry-policies.md's parameter tables say what the contract takes."""

from loadgen.policy_docs import DOC, marked_policies, parameter_table, rendered
from stormlab_common.contracts.policies import POLICY_PARAMS


def test_the_docs_tables_are_the_contracts():
    text = DOC.read_text()
    assert rendered(text) == text, "run: python -m loadgen.policy_docs"


def test_every_policy_with_parameters_has_a_table():
    with_parameters = [name for name in POLICY_PARAMS if parameter_table(name) != "No parameters.\n"]
    assert sorted(marked_policies(DOC.read_text())) == sorted(with_parameters)
    for name in POLICY_PARAMS:
        assert f"## `{name}`" in DOC.read_text() or f"`{name}`" in DOC.read_text()


def test_a_table_lists_each_parameter_with_its_default_range_and_meaning():
    table = parameter_table("fixed").splitlines()
    assert table[2] == "| `max_attempts` | 3 | [1, 100] | attempts per logical request, the first try included |"
    assert "| `quota` | 500 | (0, 1e9] |" in parameter_table("retry-budget")
    assert parameter_table("none") == "No parameters.\n"
