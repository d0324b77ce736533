"""The plots: one PNG per question, skipped when there is no data, never a crash on gaps."""

import math
import struct
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from experiments.plots import PLOTS, render_plots
from tests.unit.experiments_support import PNG_MAGIC, RUN, collapse_series

ROOT = Path(__file__).resolve().parents[2]
ALL = {plot.name for plot in PLOTS}


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])  # IHDR: width, height


def test_a_collapse_draws_every_plot_as_a_valid_png(tmp_path):
    written = render_plots(RUN, collapse_series(), tmp_path)
    assert set(written) == ALL
    assert written["load"] == "load.png"
    for file in written.values():
        path = tmp_path / file
        assert path.read_bytes()[:8] == PNG_MAGIC
        assert path.stat().st_size > 10_000  # lines, labels and text, not an empty canvas
    sizes = {name: png_size(tmp_path / file) for name, file in written.items()}
    assert {width for width, _ in sizes.values()} == {1000}  # 10 in at 100 dpi: they line up in the report
    assert sizes["load"][1] > sizes["goodput_by_target"][1] + 200  # two panels: taller by one panel


def test_plots_without_data_are_skipped(tmp_path):
    series = {"goodput": [(0.0, 60.0), (1.0, 0.0)],
              "capacity": [(0.0, 100.0)],                 # a limit alone draws nothing
              "device_bandwidth_limit_downstream": [(0.0, 1e7)],
              "latency_p99": [(0.0, math.nan), (1.0, math.nan)],   # all NaN: as good as absent
              "retry_amplification": []}
    written = render_plots(RUN, series, tmp_path)
    assert written == {"load": "load.png"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["load.png"]


def test_target_and_policy_series_are_found_by_prefix(tmp_path):
    series = {"goodput:dns": [(0.0, 20.0), (1.0, 0.0)], "success_ratio:retry-budget": [(0.0, 1.0)]}
    assert set(render_plots(None, series, tmp_path)) == {"goodput_by_target", "policy_success"}


def test_nan_gaps_a_failed_event_and_empty_windows_do_not_crash(tmp_path):
    failed = replace(RUN.timeline[1], ok=False, error="refused")
    run = replace(RUN, timeline=(RUN.timeline[0], failed), windows={"before": (10.0, 30.0), "after": (60.0, 60.0)})
    series = {"goodput": [(0.0, math.nan), (1.0, 5.0), (2.0, math.nan), (3.0, 0.0)],
              "latency_p50": [(0.0, 0.0), (1.0, 0.2)]}  # a zero on a log axis
    written = render_plots(run, series, tmp_path)
    assert set(written) == {"load", "latency"}
    assert render_plots(replace(run, timeline=(), windows={}), series, tmp_path / "again") == written


def test_nothing_to_draw_returns_nothing(tmp_path):
    assert render_plots(None, {}, tmp_path / "plots") == {}
    assert list((tmp_path / "plots").iterdir()) == []


def test_a_re_render_with_less_data_removes_the_stale_picture(tmp_path):
    render_plots(None, collapse_series(), tmp_path)
    written = render_plots(None, {"goodput": [(0.0, 1.0)]}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["load.png"] == sorted(written.values())


def test_rendering_never_loads_pyplot():
    # pyplot is what opens windows and keeps figures alive; the Agg canvas needs neither.
    code = ("import sys, tempfile; from experiments.plots import render_plots; "
            "render_plots(None, {'goodput': [(0.0, 1.0)]}, tempfile.mkdtemp()); "
            "print('matplotlib.pyplot' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "False"
