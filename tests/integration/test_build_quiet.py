"""`make images` with nothing to build says so in a line, not in the builder's ~190 lines of
"Using cache": whatever a user runs after it (the demo, an experiment) is not buried."""

from __future__ import annotations

import subprocess

import pytest

from tests.integration.conftest import ROOT


@pytest.mark.timeout(900)
def test_a_second_build_with_nothing_changed_prints_one_line():
    def build() -> list[str]:
        done = subprocess.run([str(ROOT / "tools/build-images.sh")], cwd=ROOT, capture_output=True, text=True,
                              timeout=850)
        assert done.returncode == 0, done.stdout + done.stderr
        return [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]

    build()  # whatever the tree holds is built now
    again = build()
    assert len(again) <= 2, "\n".join(again)
    assert "images up to date" in again[-1], again
