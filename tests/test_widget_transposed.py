"""Headless tests of the transposed-convolution explorer (chapter 12): state, then view.

The arrays the picture shows are checked against cnnbook's own bookkeeping: the
transposed convolution itself, chapter 1's conv_matrix (its transpose), the backward
pass of conv2d, and chapter 3's list of input rows no window reads.
"""
import itertools

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.widgets import TransposedExplorer, output_size_state, transposed_state

PNG = b"\x89PNG\r\n\x1a\n"
RANGES = TransposedExplorer.controls
SIZES = ("n", "kernel", "stride", "padding", "output_padding", "dilation")
ALL_SETTINGS = list(itertools.product(*(range(RANGES[k][0], RANGES[k][1] + 1) for k in SIZES)))


def _valid_settings():
    return [s for s in ALL_SETTINGS if transposed_state(*s)["valid"]]


# -- the pure state function -------------------------------------------------

def test_upsampling_setting_by_hand():
    # L = 3, K = 3, S = 2, P = 1, output_padding 1: the classic "double the size" layer
    state = transposed_state(3, 3, 2, 1, 1, 1, row=1, col=1)
    assert state["valid"] and state["output"] == 6 == 2 * 3
    assert state["canvas"] == 7 and state["span"] == 3
    # cell (1, 1) paints canvas rows/cols 2, 3, 4 → output 1, 2, 3 (all inside)
    assert sorted({u for u, _, _, _ in state["painted"]}) == [1, 2, 3]
    assert len(state["painted"]) == 9 and state["cropped"] == []
    # corner cell (0, 0): canvas rows 0, 1, 2 → row 0 is cropped by P = 1
    corner = transposed_state(3, 3, 2, 1, 1, 1, row=0, col=0)
    assert len(corner["painted"]) == 4 and len(corner["cropped"]) == 5
    # the checkerboard: 2 taps on even phases, 1 on odd ones → interior counts 4, 2, 1
    assert state["residues"] == [2, 1] and state["uneven"]
    assert set(np.unique(state["counts"])) == {1, 2, 4}
    assert state["conv_output"] == 3 and state["remainder"] == 1
    assert state["matches"] and state["max_error"] == 0
    message = state["message"]
    assert "(3 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 6" in message
    assert "Checkerboard" in message and "4 times" in message
    assert "remainder" in message and "= 1 is the output_padding" in message


def test_output_is_the_scatter_and_conv_transpose2d_for_every_slider_setting():
    for setting in ALL_SETTINGS:
        state = transposed_state(*setting)
        if not state["valid"]:
            continue
        L, K, S, P, OP, D = setting
        assert state["output"] == (L - 1) * S - 2 * P + D * (K - 1) + OP + 1
        expected = cb.conv_transpose2d(state["x"][None, None], state["w"][None, None],
                                       stride=S, padding=P, output_padding=OP,
                                       dilation=D)[0, 0]
        assert state["y"].shape == expected.shape
        assert state["matches"], setting
        assert np.abs(state["y"] - expected).max() < 1e-12


def test_output_is_conv_matrix_transposed_and_the_backward_of_conv2d():
    """Mᵀ x with chapter 1's M, and conv2d_backward's dx with x as δ (dilation 1, OP < S)."""
    checked = 0
    for L, K, S, P, OP, D in _valid_settings():
        if D != 1 or OP >= S:
            continue
        state = transposed_state(L, K, S, P, OP, D)
        O = state["output"]
        M = cb.conv_matrix(state["w"], (O, O), S, P)
        assert M.shape == (L * L, O * O)
        np.testing.assert_allclose(state["y"], (M.T @ state["x"].ravel()).reshape(O, O),
                                   rtol=0, atol=1e-12)
        ones = cb.conv_matrix(np.ones((K, K)), (O, O), S, P)
        np.testing.assert_array_equal(state["counts"], ones.sum(axis=0).reshape(O, O))
        dx = cb.conv2d_backward(state["x"][None, None], np.zeros((1, 1, O, O)),
                                state["w"][None, None], S, P)[0][0, 0]
        np.testing.assert_allclose(state["y"], dx, rtol=0, atol=1e-12)
        checked += 1
    assert checked > 100


def test_backward_of_dilated_conv2d():
    for L, K, S, P, OP, D in _valid_settings():
        if D == 1:
            continue
        state = transposed_state(L, K, S, P, OP, D)
        O = state["output"]
        if state["conv_output"] != L:
            continue
        dx = cb.conv2d_backward(state["x"][None, None], np.zeros((1, 1, O, O)),
                                state["w"][None, None], S, P, dilation=D)[0][0, 0]
        np.testing.assert_allclose(state["y"], dx, rtol=0, atol=1e-12)


def test_painted_cells_are_one_column_of_conv_matrix():
    for L, K, S, P, OP, D in _valid_settings():
        if D != 1 or OP >= S:
            continue
        for row, col in [(0, 0), (L - 1, L // 2)]:
            state = transposed_state(L, K, S, P, OP, D, row, col)
            O = state["output"]
            M = cb.conv_matrix(np.ones((K, K)), (O, O), S, P)
            column = M[row * L + col].reshape(O, O)      # the output cells this input reaches
            painted = np.zeros((O, O))
            for u, v, _, _ in state["painted"]:
                painted[u, v] += 1
            np.testing.assert_array_equal(painted, column)
            assert len(state["painted"]) + len(state["cropped"]) == K * K
            expected = state["x"][row, col] * cb.conv_matrix(state["w"], (O, O), S, P)[row * L + col]
            np.testing.assert_allclose(state["contribution"].ravel(), expected, atol=1e-12)


def test_unreached_rows_are_chapter_3s_uncovered_inputs():
    for L, K, S, P, OP, D in _valid_settings():
        if D != 1 or OP >= S:
            continue
        state = transposed_state(L, K, S, P, OP, D)
        geometry = output_size_state(state["output"], K, S, P)
        assert state["unreached"] == geometry["uncovered"]
        assert state["conv_output"] == L == geometry["output"]
        assert state["remainder"] == OP == geometry["leftover"]


def test_checkerboard_exactly_when_the_stride_does_not_divide_the_kernel():
    for K in range(1, 7):
        for S in range(1, 5):
            state = transposed_state(4, K, S, 0)
            assert state["uneven"] == (K % S != 0), (K, S)
            interior = state["counts"][K:-K, K:-K] if 4 * S > 2 * K else None
            if interior is not None and interior.size:
                assert (len(np.unique(interior)) > 1) == state["uneven"]


def test_not_allowed_settings_are_explained_and_cnnbook_refuses_them():
    state = transposed_state(3, 3, 2, 0, output_padding=2)
    assert not state["valid"] and state["y"] is None and state["counts"] is None
    assert "output_padding 2" in state["message"] and "S = 2" in state["message"]
    with pytest.raises(ValueError):
        cb.conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2,
                            output_padding=2)
    small = transposed_state(1, 1, 1, 2)              # 1×1 canvas, P = 2 crops it away
    assert not small["valid"] and "O_t" in small["message"] and "= −3" not in small["message"]
    assert small["output"] == 1 - 4
    with pytest.raises(ValueError):
        cb.conv_transpose2d(np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)), padding=2)
    # output_padding ≥ S is allowed when D > S, and the message says what it means then
    wide = transposed_state(3, 2, 1, 0, output_padding=1, dilation=2)
    assert wide["valid"] and wide["conv_output"] == 4 and "R > S" in wide["message"]


def test_own_arrays_and_bad_arguments():
    x, w = np.arange(4.0).reshape(2, 2), np.array([[1.0, -1.0], [2.0, 0.5]])
    state = transposed_state(2, 2, 2, 0, x=x, w=w)
    np.testing.assert_array_equal(state["y"], np.kron(x, w))     # S = K: tiles, no overlap
    assert not state["uneven"] and np.all(state["counts"] == 1)
    with pytest.raises(ValueError, match="shape"):
        transposed_state(2, 2, 2, 0, w=np.ones((3, 3)))
    with pytest.raises(ValueError, match="outside"):
        transposed_state(2, 2, 2, 0, row=2)


# -- the view ------------------------------------------------------------------

def test_view_updates_and_clamps_the_chosen_cell():
    view = TransposedExplorer(n=4, kernel=3, stride=2, padding=1, output_padding=1,
                              row=3, col=2)
    assert view.png().startswith(PNG)
    assert view.state["row"] == 3 and view.state["output"] == 8
    state = view.update(n=2)                       # the cell slider follows the input size
    assert view.row.max == 1 and state["row"] == 1 and state["col"] == 1
    assert state == view.state and state["output"] == 4
    before = view.view.message
    view.stride.value = 3                          # as a reader moves a slider
    assert view.state["stride"] == 3 and view.view.message != before
    state = view.update(output_padding=2, stride=1)
    assert not state["valid"] and view.png().startswith(PNG)
    assert "Not allowed" in view.view.message and view.view.routes == {}
    with pytest.raises(ValueError):
        view.update(dilation=9)
    assert view.figure().axes


# -- pointing at a cell ----------------------------------------------------------

def _ids(view):
    return {item[11] for ax in view.view.scene["axes"] for item in ax["items"]
            if item[0] == "r" and item[11]}


@pytest.mark.parametrize("setting", [dict(n=3, kernel=3, stride=2, padding=1, output_padding=1),
                                     dict(n=3, kernel=2, stride=3, padding=0),
                                     dict(n=2, kernel=3, stride=1, padding=2, dilation=2)])
def test_every_routed_cell_is_drawn_with_its_id(setting):
    view = TransposedExplorer(**setting)
    routes, ids = view.view.routes, _ids(view)
    assert routes and set(routes) <= ids
    assert {g for r in routes.values() for g in r["on"]} <= ids


def test_routes_are_the_one_hot_transposed_convolutions():
    """Input cell (i, j) paints exactly where conv_transpose2d of a one-hot input is non-zero
    (kernel without zeros); output cell (u, v) sums exactly its routed terms."""
    for L, K, S, P, OP, R in _valid_settings()[::7]:
        state = transposed_state(L, K, S, P, OP, R)
        O = state["output"]
        for (i, j), taps in state["routes"]["input"].items():
            one_hot = np.zeros((1, 1, L, L))
            one_hot[0, 0, i, j] = 1.0
            reached = cb.conv_transpose2d(one_hot, np.ones((1, 1, K, K)), stride=S, padding=P,
                                          output_padding=OP, dilation=R)[0, 0]
            routed = np.zeros((O, O))
            for (u, v), _ in taps:
                if 0 <= u < O and 0 <= v < O:
                    routed[u, v] += 1
            np.testing.assert_array_equal(routed, reached)
        for (u, v), terms in state["routes"]["output"].items():
            total = sum(state["x"][i, j] * state["w"][m, n] for (i, j), (m, n) in terms)
            assert total == state["y"][u, v] and len(terms) == state["counts"][u, v]


def test_route_texts():
    view = TransposedExplorer(n=3, kernel=3, stride=2, padding=1, output_padding=1)
    state = view.state
    corner = view.view.routes["x:0,0"]
    assert "4 output cells, 5 on the border that P crops" in corner["text"]
    assert "x:0,0" in corner["on"] and "y:-1,-1" in corner["on"] and "n:0,0" in corner["on"]
    inner = view.view.routes["y:1,1"]
    assert inner is view.view.routes["n:1,1"]
    assert inner["text"].endswith(f"= {int(state['y'][1, 1])} (4 terms)".replace("-", "−"))
