"""cnnbook.viz draws what it is given: cells, labels, colours by role, padding, windows."""
import numpy as np
import pytest
from matplotlib import colors as mcolors
from matplotlib.patches import Rectangle

from cnnbook import viz


def _cells(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_fill()]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_symbols_are_one_based_mathtext():
    s = viz.symbols("i", 2, 3)
    assert s.shape == (2, 3)
    assert s[0, 0] == "$i_{11}$" and s[1, 2] == "$i_{23}$"
    assert viz.symbols(r"\delta", 1, 1)[0, 0] == r"$\delta_{11}$"
    assert viz.symbols("x", 10, 10)[9, 9] == "$x_{10,10}$"


def test_draw_matrix_writes_every_number_in_its_cell():
    values = np.array([[1.0, -2.5], [0.125, 4.0]])
    fig = viz.draw_matrix(values, "input", title="x")
    ax = fig.axes[0]
    assert len(_cells(ax)) == 4
    assert sorted(_texts(ax)) == sorted(["1", "-2.5", "0.125", "4"])
    assert ax.get_title() == "x"
    # cell faces carry the input role's tint
    assert all(np.allclose(mcolors.to_rgb(p.get_facecolor()), viz.tint("input")) for p in _cells(ax))


def test_delta_cells_use_a_colour_map_centred_at_zero():
    fig = viz.draw_matrix(np.array([[-2.0, 0.0, 2.0]]), "delta")
    faces = [mcolors.to_rgb(p.get_facecolor()) for p in _cells(fig.axes[0])]
    assert np.allclose(faces[1], (0.97, 0.97, 0.97), atol=0.03)  # 0 is (nearly) white
    assert faces[0][2] > faces[0][0] and faces[2][0] > faces[2][2]  # −: blue, +: red
    # symmetric: the same magnitude gives the same saturation
    assert np.isclose(max(faces[0]) - min(faces[0]), max(faces[2]) - min(faces[2]), atol=0.1)


def test_padding_ring_is_grey_and_skipped_cells_hatched():
    skipped = np.zeros((4, 4), dtype=bool)
    skipped[1, 2] = True
    fig = viz.draw_matrix(np.zeros((4, 4)), "input", padding=1, skipped=skipped)
    cells = _cells(fig.axes[0])
    grey = mcolors.to_rgb(viz.role_colour("padding"))
    on_ring = [np.allclose(mcolors.to_rgb(p.get_facecolor()), grey) for p in cells]
    assert sum(on_ring) == 12  # the outer ring of a 4×4 grid
    assert [p.get_hatch() for p in cells].count("///") == 1


def test_highlight_outlines_a_block_in_the_role_colour():
    fig = viz.draw_matrix(viz.symbols("i", 4, 4))
    patch = viz.highlight(fig.axes[0], 1, 2, 2, 2, role="delta")
    assert (patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()) == (2, 1, 2, 2)
    assert mcolors.to_hex(patch.get_edgecolor()) == viz.ROLE_COLOURS["delta"].lower()


def test_matrix_row_places_operators_between_matrices():
    fig = viz.matrix_row([(np.ones((3, 3)), "input", "x"), (np.ones((2, 2)), "kernel", "W"),
                          (np.ones((2, 2)), "output", "net")], ["⋆", "="])
    texts = _texts(fig.axes[0])
    assert {"x", "W", "net", "=", r"$\star$"} <= set(texts)
    with pytest.raises(ValueError, match="3 matrices need 2 operators, got 1"):
        viz.matrix_row([(np.ones((1, 1)), "input", "")] * 3, ["+"])


def test_draw_windows_marks_uncovered_input_cells():
    # L=6, K=3, S=2, P=0: windows start at 0 and 2; column/row 5 is never read
    fig = viz.draw_windows(6, 3, 2, 0)
    ax = fig.axes[0]
    hatched = [(p.get_y(), p.get_x()) for p in _cells(ax) if p.get_hatch()]
    assert len(hatched) == 11 and all(5 in rc for rc in hatched)
    outlines = [p for p in ax.patches if not p.get_fill()]
    assert len(outlines) == 1                     # one window at a time: the first
    assert (outlines[0].get_x(), outlines[0].get_y()) == pytest.approx((0.04, 0.04))
    counts = {(t.get_position()[1] - 0.5, t.get_position()[0] - 0.5): t.get_text()
              for t in ax.texts if t.get_text()}
    # the count map: cells 2 (rows and columns) lie in both windows along each axis
    assert counts[(2, 2)] == "×4" and counts[(0, 0)] == "×1" and counts[(0, 2)] == "×2"
    assert (5, 0) not in counts                   # row 5 is read by no window
    assert len(viz.draw_windows(6, 3, 2, 0, windows=[(0, 0), (1, 1)]).axes[0].patches) == 36 + 2


def test_heatmap_and_errors():
    fig = viz.heatmap(np.arange(6.0).reshape(2, 3) - 2, annotate=True)
    image = fig.axes[0].images[0]
    assert image.norm.vmin == -3 and image.norm.vmax == 3
    with pytest.raises(ValueError, match=r"heatmap needs a 2-D array, got shape \(2, 2, 2\)"):
        viz.heatmap(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="unknown role 'weights'; roles are: input, kernel"):
        viz.role_colour("weights")


def test_figures_render_to_png_and_show_in_jupyter():
    fig = viz.role_legend()
    png = viz.figure_png(fig)
    assert png.startswith(b"\x89PNG")
    assert fig._repr_png_().startswith(b"\x89PNG")


def test_row_and_column_labels():
    fig = viz.draw_matrix(np.zeros((2, 3)), row_labels=["a", "b"], col_labels=["p", "q", "r"])
    assert {"a", "b", "p", "q", "r"} <= set(_texts(fig.axes[0]))
    with pytest.raises(ValueError, match="3 labels for 2 rows"):
        viz.draw_matrix(np.zeros((2, 3)), row_labels=["a", "b", "c"])
