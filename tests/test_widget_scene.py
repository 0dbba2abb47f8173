"""The scene an explorer sends to the browser: the same drawing as its static picture."""
import json

import numpy as np
import pytest

from cnnbook import viz
from cnnbook.widgets import (
    DepthExplorer, FootprintExplorer, OutputSizeExplorer, PoolingExplorer, StrideExplorer,
)
from cnnbook.widgets.base import FALLBACK_TEXT
from cnnbook.widgets.scene import SceneFigure, colour, plain_runs


def test_mathtext_becomes_runs():
    assert plain_runs(r"$\delta^{(l-1)}$ = dx") == [["δ", 0], ["(l−1)", 1], [" = dx", 0]]
    assert plain_runs(r"$\partial E/\partial x_{pad}$  7×7") == [["∂E/∂x", 0], ["pad", -1],
                                                               ["  7×7", 0]]
    assert plain_runs("plain text, no dollars") == [["plain text, no dollars", 0]]
    assert plain_runs("") == []
    assert colour("none") is None and colour((1.0, 0.0, 0.0, 1.0)) == "#ff0000"


def test_draw_matrix_records_cells_with_their_ids():
    fig = SceneFigure(figsize=(3, 2))
    ax = fig.subplots()
    viz.draw_matrix(np.arange(4.0).reshape(2, 2), "delta", ax=ax, padding=0, ids="d")
    scene = fig.scene()
    rects = [item for item in scene["axes"][0]["items"] if item[0] == "r"]
    assert sorted(item[11] for item in rects) == ["d:0,0", "d:0,1", "d:1,0", "d:1,1"]
    assert scene["size"] == [300, 200]
    assert scene["axes"][0]["ylim"][0] > scene["axes"][0]["ylim"][1]     # rows go down


def test_subplots_share_the_figure_by_their_ratios():
    fig = SceneFigure()
    axes = fig.subplots(1, 3, squeeze=False, gridspec_kw={"width_ratios": [2, 1, 1]})
    boxes = [ax.box for ax in axes[0]]
    assert boxes[0] == (0.0, 0.0, 0.5, 1.0) and boxes[2] == (0.75, 0.0, 1.0, 1.0)


@pytest.mark.parametrize("make", [
    lambda: OutputSizeExplorer(n=5, kernel=3, stride=2, padding=1),
    lambda: FootprintExplorer(n=5, kernel=3, stride=2, padding=1, mode="δ cell"),
    lambda: StrideExplorer(n=6, kernel=3, stride=2, padding=1),
    lambda: DepthExplorer(stride=2, padding=1),
    lambda: PoolingExplorer(mode="max", n=5, window=3, stride=2, padding=1),
])
def test_the_scene_and_the_static_picture_have_the_same_cells(make):
    view = make()
    scene = json.loads(view.view.scene_json)
    live = sorted(item[11] for ax in scene["axes"] for item in ax["items"]
                  if item[0] == "r" and item[11])
    static = sorted(patch.get_gid() for ax in view.figure().axes for patch in ax.patches
                    if patch.get_gid())
    assert live == static
    assert json.loads(view.view.routes_json) == view.view.routes


def test_the_saved_widget_output_reads_as_one_line():
    view = OutputSizeExplorer(n=5, kernel=3)
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == FALLBACK_TEXT
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert all(s.continuous_update for s in view.sliders.values() if hasattr(s, "continuous_update"))
