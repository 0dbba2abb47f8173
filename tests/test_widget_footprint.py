"""Headless tests of the footprint explorer: the pure state function, then the view."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnbook as cb
from cnnbook import derivation
from cnnbook.widgets import FootprintExplorer, footprint_state

PNG = b"\x89PNG\r\n\x1a\n"
RANGES = {k: v for k, v in FootprintExplorer.controls.items() if not isinstance(v[0], tuple)}


# -- the pure state function -------------------------------------------------

def test_seed001_centre_pixel_has_four_terms_in_rot180_order():
    state = footprint_state(n=4, kernel=2, mode="input pixel", row=1, col=1)
    assert state["fits"] and state["output"] == 3
    assert state["pairs"] == [((0, 0), (1, 1)), ((0, 1), (1, 0)), ((1, 0), (0, 1)), ((1, 1), (0, 0))]
    np.testing.assert_array_equal(state["delta_mask"], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(state["kernel_mask"], np.ones((2, 2), bool))
    assert state["input_mask"].sum() == 1 and state["input_mask"][1, 1]
    assert state["equation"] == "∂E/∂x_22 = δ_11·w_22 + δ_12·w_21 + δ_21·w_12 + δ_22·w_11"
    assert state["latex"] == (r"\frac{\partial E}{\partial x_{22}} = \delta_{11} w_{22}"
                              r" + \delta_{12} w_{21} + \delta_{21} w_{12} + \delta_{22} w_{11}")
    assert state["value"] == state["dx"][1, 1]
    assert "4 windows" in state["message"] and "rot180" in state["message"]


def test_corner_pixel_has_one_term():
    state = footprint_state(4, 2, "input pixel", 0, 0)
    assert state["pairs"] == [((0, 0), (0, 0))]
    assert state["delta_mask"].sum() == 1 and state["kernel_mask"].sum() == 1
    assert "1 window," in state["message"]


def test_delta_cell_highlights_its_window():
    state = footprint_state(4, 2, "δ cell", 1, 2)
    assert state["window"] == (1, 2) and state["window_padding"] == 0
    expected = np.zeros((4, 4), bool)
    expected[1:3, 2:4] = True
    np.testing.assert_array_equal(state["input_mask"], expected)
    assert state["delta_mask"][1, 2] and state["delta_mask"].sum() == 1
    assert state["kernel_mask"].all()
    assert state["equation"] == "net_23 = w_11·x_23 + w_12·x_24 + w_21·x_33 + w_22·x_34 + b"
    assert state["value"] == state["net"][1, 2]
    assert "rows 1…2 and columns 2…3" in state["message"]


def test_delta_cell_window_over_padding():
    state = footprint_state(5, 3, "δ cell", 0, 0, stride=2, padding=1)
    assert state["output"] == 3 and state["window"] == (0, 0)
    assert state["window_padding"] == 5
    np.testing.assert_array_equal(state["input_mask"][:3, :3], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(state["kernel_mask"], [[0, 0, 0], [0, 1, 1], [0, 1, 1]])
    assert "5 cells of the window are padding" in state["message"]
    assert "rows −1…1" in state["message"]


def test_unread_pixel_is_explained():
    state = footprint_state(6, 3, "input pixel", 5, 2, stride=2)
    assert state["pairs"] == [] and state["value"] == 0 == state["dx"][5, 2]
    assert not state["delta_mask"].any() and not state["kernel_mask"].any()
    assert state["equation"] == "∂E/∂x_63 = 0"
    assert "No window reads x_63" in state["message"] and "after the last window" in state["message"]
    gap = footprint_state(7, 2, "input pixel", 2, 0, stride=3)
    assert gap["pairs"] == [] and "gap between windows" in gap["message"]


def test_impossible_setting_is_explained_not_raised():
    for mode in ("input pixel", "δ cell"):
        state = footprint_state(2, 5, mode, 0, 0)
        assert not state["fits"] and state["output"] == 0
        assert state["delta"].shape == (0, 0) and state["pairs"] == []
        assert state["message"].startswith("Impossible")
        assert "K = 5" in state["message"] and "padding of at least 2" in state["message"]


@given(st.fixed_dictionaries({name: st.integers(lo, hi) for name, (lo, hi, _) in RANGES.items()
                              if name not in ("row", "col")}),
       st.sampled_from(["input pixel", "δ cell"]), st.integers(0, 20), st.integers(0, 20))
def test_state_agrees_with_derivation_and_conv2d_backward(s, mode, row, col):
    n, k, S, P = s["n"], s["kernel"], s["stride"], s["padding"]
    fits = k <= n + 2 * P
    size = n if mode == "input pixel" else ((n + 2 * P - k) // S + 1 if fits else 1)
    row, col = row % size, col % size
    state = footprint_state(n, k, mode, row, col, stride=S, padding=P)
    assert state["fits"] == fits and isinstance(state["message"], str) and state["message"]
    if not fits:
        return
    O = cb.output_size(n, k, S, P)
    assert state["delta"].shape == (O, O) and state["delta_mask"].shape == (O, O)
    dx, dw, _ = cb.conv2d_backward(state["delta"][None, None], state["x"][None, None],
                                   state["w"][None, None], S, P)
    np.testing.assert_array_equal(state["dx"], dx[0, 0])
    if mode == "input pixel":
        assert state["pairs"] == derivation.input_gradient_terms((n, n), (k, k), S, P)[(row, col)]
        assert state["value"] == pytest.approx(dx[0, 0, row, col])
        assert state["delta_mask"].sum() == len(state["pairs"])
    else:
        assert state["pairs"] == derivation.forward_terms((n, n), (k, k), S, P)[(row, col)]
        assert state["value"] == pytest.approx(state["net"][row, col])
        assert state["input_mask"].sum() + state["window_padding"] == k * k


def test_state_rejects_what_no_control_can_reach():
    with pytest.raises(ValueError, match=r"\(3, 0\) is outside the 3×3 δ map"):
        footprint_state(4, 2, "δ cell", 3, 0)
    with pytest.raises(ValueError, match=r"\(0, 2\) is outside the 2×2 input"):
        footprint_state(2, 5, "input pixel", 0, 2)      # even when no window fits
    with pytest.raises(ValueError, match="mode must be one of"):
        footprint_state(4, 2, "pixel", 0, 0)
    with pytest.raises(ValueError, match="input size n must be at least 1"):
        footprint_state(0, 2, "input pixel", 0, 0)


# -- the view ------------------------------------------------------------------

def png(view):
    return view.png()


@pytest.fixture
def view():
    return FootprintExplorer(n=4, kernel=2, row=1, col=1)


def test_view_starts_with_the_state_of_its_settings(view):
    assert view.values["mode"] == "input pixel" and view.values["row"] == 1
    expected = footprint_state(4, 2, "input pixel", 1, 1)
    assert view.state["pairs"] == expected["pairs"]
    np.testing.assert_array_equal(view.state["delta_mask"], expected["delta_mask"])
    assert png(view).startswith(PNG)
    assert "4 windows" in view.view.message


def test_moving_the_row_slider_changes_state_and_picture(view):
    before = png(view)
    view.row.value = 0                      # as a reader dragging the slider
    assert view.state["row"] == 0
    np.testing.assert_array_equal(view.state["delta_mask"], [[1, 1, 0], [0, 0, 0], [0, 0, 0]])
    assert png(view).startswith(PNG) and png(view) != before


def test_row_and_col_follow_the_selected_map(view):
    view.update(row=3, col=3)
    assert view.row.max == 3
    view.update(mode="δ cell")               # the 3×3 δ map: rows 0…2, the value is clamped
    assert view.row.max == 2 and view.row.value == 2 and view.col.value == 2
    assert view.state["mode"] == "δ cell" and view.state["window"] == (2, 2)
    view.update(kernel=3)                    # a 2×2 δ map
    assert view.row.max == 1 and view.state["row"] == 1
    view.update(n=8, row=5)                  # n widens the range (6×6 δ) before row is checked
    assert view.state["row"] == 5
    with pytest.raises(ValueError, match="row 5 is above this explorer's maximum 4"):
        view.update(n=7, row=5)


def test_impossible_setting_draws_and_explains(view):
    state = view.update(n=2, kernel=5)
    assert not state["fits"] and "Impossible" in view.view.message
    assert view.row.max == 1                 # input-pixel mode: still the 2×2 input
    view.update(mode="δ cell")
    assert view.row.max == 0 and not view.state["fits"]
    assert png(view).startswith(PNG)
    fig = view.figure()
    assert "no window fits" in fig.texts[0].get_text()


def test_labels_toggle_and_every_corner_draws(view):
    before = png(view)
    view.labels.value = "numbers"
    assert view.state["labels"] == "numbers" and png(view) != before
    corners = [(n, k, S, P) for n in (2, 8) for k in (1, 5) for S, P in ((1, 2), (3, 0))]
    for t, (n, k, S, P) in enumerate(corners):
        mode = ("input pixel", "δ cell")[t % 2]
        state = view.update(n=n, kernel=k, stride=S, padding=P, mode=mode)
        assert (state["n"], state["kernel"], state["mode"]) == (n, k, mode)
        assert png(view).startswith(PNG)
