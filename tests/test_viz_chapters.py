"""Drawing helpers moved out of the chapter notebooks into cnnbook.viz (chapters 1–4).

Each draws what it is given — every number in a cell, the operators between the
matrices, one edge per weight — and refuses inconsistent input with a ValueError.
"""
import numpy as np
import pytest
from matplotlib import colors as mcolors
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle

from cnnbook import viz


def _cells(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_fill()]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


# ---------------------------------------------------------------- equation_rows (ch 3, 6)
def test_equation_rows_draws_every_matrix_caption_and_operator():
    x, w = np.arange(9.0).reshape(3, 3), np.array([[1.0, -1.0], [2.0, 0.5]])
    out = np.array([[7.0, 9.0], [13.0, 15.0]])
    rows = [([(x, "input", "x"), (w, "kernel", "W"), (out, "output", "net")], ["⋆", "="]),
            ([(out, "output", "net"), (np.array([[1.0]]), "kernel", "b")], ["+"])]
    fig, ax, corners = viz.equation_rows(rows, title="two rows", labels=["first", "second"])
    assert len(_cells(ax)) == 9 + 4 + 4 + 4 + 1
    texts = _texts(ax)
    for expected in ["x", "W", "net", "b", r"$\star$", "=", "+", "first", "second", "-1", "0.5"]:
        assert expected in texts, expected
    assert fig._suptitle.get_text() == "two rows"
    # corners: one per item, rows stacked downwards, items left to right
    assert [len(c) for c in corners] == [3, 2]
    assert corners[1][0][0] > corners[0][0][0]
    assert corners[0][0][1] < corners[0][1][1] < corners[0][2][1]
    # a 2×2 item next to a 3×3 one is centred vertically in its row
    assert corners[0][1][0] == pytest.approx(corners[0][0][0] + 0.5)
    # the cell drawn at a corner is the item's top-left value
    top, left = corners[0][1]
    hit = [p for p in _cells(ax) if p.get_xy() == (left, top)]
    assert hit and np.allclose(mcolors.to_rgb(hit[0].get_facecolor()), viz.tint("kernel"))


def test_equation_rows_refuses_inconsistent_rows():
    a = np.ones((2, 2))
    with pytest.raises(ValueError, match="2 matrices need 1 operators, got 2"):
        viz.equation_rows([([(a, "input", ""), (a, "kernel", "")], ["⋆", "="])])
    with pytest.raises(ValueError, match="1 labels for 2 rows"):
        viz.equation_rows([([(a, "input", "")], []), ([(a, "input", "")], [])], labels=["x"])


# ---------------------------------------------------------------- draw_network (ch 2)
def test_draw_network_one_node_per_unit_one_edge_per_weight():
    W1 = np.array([[0.5, -1.0, 0.0], [2.0, 1.0, -0.5]])          # 3 → 2
    W2 = np.array([[1.0, -3.0]])                                   # 2 → 1
    labels = [["x1", "x2", "x3"], ["h1", "h2"], ["y"]]
    fig = viz.draw_network([3, 2, 1], [W1, W2], labels, faces=[None, ["red", "blue"], None],
                           title="net")
    ax = fig.axes[0]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == 6
    edges = [l for l in ax.lines if isinstance(l, Line2D)]
    assert len(edges) == W1.size + W2.size
    widths = sorted(e.get_linewidth() for e in edges)
    assert widths[-1] == pytest.approx(3.0) and widths[0] == pytest.approx(0.4)  # |w| / max
    assert sum(e.get_linestyle() == "--" for e in edges) == 3                   # w < 0
    assert sorted(_texts(ax)) == sorted(sum(labels, []))
    assert np.allclose(mcolors.to_rgb(circles[3].get_facecolor()), mcolors.to_rgb("red"))
    assert ax.get_title() == "net"


def test_draw_network_checks_the_shapes():
    with pytest.raises(ValueError, match=r"weights\[0\] has shape \(3, 2\), expected \(2, 3\)"):
        viz.draw_network([3, 2], [np.ones((3, 2))], [["a"] * 3, ["b"] * 2])
    with pytest.raises(ValueError, match="3 layers need 2 weight matrices, got 1"):
        viz.draw_network([3, 2, 1], [np.ones((2, 3))], [["a"] * 3, ["b"] * 2, ["c"]])
