"""The comparing benchmark refuses what it cannot run, before it starts anything."""

import pytest

from benchmarks.proxy_bench import compare


@pytest.mark.parametrize("argv", [
    ["--base", "HEAD", "--rounds", "0"],
    ["--base", "HEAD", "--seconds", "-1"],
    ["--base", "HEAD", "--measure", "latency"],
    ["--rounds", "2"],  # no --base
])
def test_bad_arguments_are_refused_with_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        compare.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_revision_git_cannot_name_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        compare.export_revision("no-such-revision-3f9c", tmp_path)
    assert "--base" in str(exit_info.value.code)
    assert not any(tmp_path.iterdir())  # nothing unpacked
