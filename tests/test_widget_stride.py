"""Headless tests of the stride explorer (chapter 5): the pure state function, then the view.

The arrays the picture shows are checked against cnnbook's own backward pass and
against errata B3's known answers; every setting the sliders can reach is tried.
"""
import itertools

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.widgets import StrideExplorer, stride_state

PNG = b"\x89PNG\r\n\x1a\n"
RANGES = StrideExplorer.controls
ALL_SETTINGS = list(itertools.product(*(range(lo, hi + 1) for lo, hi, _ in RANGES.values())))

# Errata B3: seed 004's 5×5 image and "X" kernel at stride 2 with δ = [[1, 2], [3, 4]]
B3_DELTA = np.array([[1.0, 2.0], [3.0, 4.0]])
B3_DX = np.array([[1, 0, 3, 0, 2],
                  [0, 1, 0, 2, 0],
                  [4, 0, 10, 0, 6],
                  [0, 3, 0, 4, 0],
                  [3, 0, 7, 0, 4]], dtype=float)


# -- the pure state function -------------------------------------------------

def test_seed001_setting_step_by_step():
    state = stride_state(5, 3, 2, 1)
    assert state["fits"] and state["output"] == 3
    assert state["stride1"] == 5 == state["smallest"] and state["leftover"] == 0
    assert state["delta"].shape == (3, 3) and state["w"].shape == (3, 3)
    np.testing.assert_array_equal(state["rot"], state["w"][::-1, ::-1])
    np.testing.assert_array_equal(state["expanded"], cb.expand_sensitivity(state["delta"], 2, 5))
    np.testing.assert_array_equal(state["expanded"][::2, ::2], state["delta"])
    assert state["skipped"].sum() == 25 - 9
    assert not state["expanded"][state["skipped"]].any()
    assert state["padded_delta"].shape == (9, 9) and state["pad_width"] == 2
    np.testing.assert_array_equal(state["padded_delta"], cb.pad2d(state["expanded"], 2))
    assert state["full"].shape == (7, 7)
    np.testing.assert_array_equal(state["full"],
                                  cb.correlate2d(state["padded_delta"], cb.rot180(state["w"])))
    np.testing.assert_array_equal(state["dx"], state["full"][1:-1, 1:-1])
    assert state["matches"] and state["max_error"] == 0
    assert state["seed_zp"] == 1 and state["uncovered"] == []
    message = state["message"]
    assert "⌊(5 − 3 + 2·1)/2⌋ + 1" in message and "= 3" in message
    assert "positions 0, 2 and 4" in message and "16 cells" in message
    assert "crop its P = 1 border" in message and "max error 0" in message


def test_state_dx_is_conv2d_backward_and_the_numerical_gradient():
    state = stride_state(6, 3, 2, 1, seed=4)
    x = np.random.default_rng(1).normal(size=(1, 1, 6, 6))
    w = state["w"][None, None]
    dx, _, _ = cb.conv2d_backward(state["delta"][None, None], x, w, 2, 1)
    np.testing.assert_array_equal(state["dx"], dx[0, 0])
    numeric = cb.numerical_gradient(lambda v: cb.conv2d(v, w, stride=2, padding=1), x,
                                    state["delta"][None, None])
    assert cb.rel_error(numeric[0, 0], state["dx"]) < 1e-8


def test_errata_b3_known_answer():
    img = cb.examples.seed004_image()
    w = img["w"][0, 0]
    # the course's steps, built from cnnbook functions
    expanded = cb.expand_sensitivity(B3_DELTA, 2, cb.output_size(5, 3, 1, 0))
    np.testing.assert_array_equal(expanded, [[1, 0, 2], [0, 0, 0], [3, 0, 4]])
    by_steps = cb.crop2d(cb.correlate2d(cb.pad2d(expanded, 2), cb.rot180(w)), 0)
    np.testing.assert_array_equal(by_steps, B3_DX)
    dx, dw, db = cb.conv2d_backward(B3_DELTA[None, None], img["x"], img["w"], stride=2)
    np.testing.assert_array_equal(dx[0, 0], B3_DX)
    np.testing.assert_array_equal(dw[0, 0], [[7, 5, 8], [6, 7, 4], [6, 5, 6]])
    assert db.tolist() == [10.0]
    # the same S = 1 rules on the expanded map give the same gradients (diff 0)
    dx1, dw1, db1 = cb.conv2d_backward(expanded[None, None], img["x"], img["w"], stride=1)
    assert np.array_equal(dx1, dx) and np.array_equal(dw1, dw) and np.array_equal(db1, db)
    # and the explorer's state shows exactly these arrays
    state = stride_state(5, 3, 2, 0, delta=B3_DELTA, w=w)
    np.testing.assert_array_equal(state["expanded"], expanded)
    np.testing.assert_array_equal(state["dx"], B3_DX)
    assert state["matches"]


def test_floor_case_expands_to_the_stride1_size_and_leaves_the_last_row_zero():
    state = stride_state(6, 3, 2, 0)
    assert state["output"] == 2 and state["stride1"] == 4 and state["smallest"] == 3
    assert state["leftover"] == 1
    assert state["expanded"].shape == (4, 4) and not state["expanded"][3].any()
    assert state["skipped"][3].all() and state["skipped"][:, 3].all()
    assert state["dx"].shape == (6, 6) and state["matches"]
    assert state["uncovered"] == [5] and state["tail"] == [5]
    assert not state["dx"][5].any() and not state["dx"][:, 5].any()
    # expanding only to (O − 1)S + 1 loses the last row and column of δ^(l−1)
    short = cb.correlate2d(cb.pad2d(cb.expand_sensitivity(state["delta"], 2), 2), state["rot"])
    assert short.shape == (5, 5)
    message = state["message"]
    assert "⌊3/2⌋ + 1 = 1 + 1 = 2" in message
    assert "does not divide" in message and "(O − 1)S + 1 = 3×3" in message
    assert "row and column 5" in message and "gradient is 0" in message


def test_stride_larger_than_kernel_leaves_gaps():
    state = stride_state(7, 2, 3, 0)
    assert state["uncovered"] == [2, 5, 6] and state["gaps"] == [2]
    for i in state["uncovered"]:
        assert not state["dx"][i].any() and not state["dx"][:, i].any()
    assert "jumped over, since S = 3 > K = 2" in state["message"]


def test_padding_larger_than_kernel_minus_one():
    state = stride_state(5, 2, 1, 2)
    assert state["seed_zp"] == -1 and state["matches"]
    assert state["all_padding"] == [0, 7]
    assert "zp = K − 1 − P = −1" in state["message"] and "crop P works" in state["message"]
    # the δ of an all-padding window lands only on the cropped border
    assert state["full"][0, 0] != 0 and state["dx"].shape == (5, 5)


@pytest.mark.parametrize("n, kernel, padding", [(3, 4, 0), (3, 5, 0), (4, 5, 0)])
def test_impossible_settings_are_explained_not_raised(n, kernel, padding):
    state = stride_state(n, kernel, 2, padding)
    assert not state["fits"] and state["output"] == 0
    for key in ("delta", "expanded", "padded_delta", "full", "dx", "reference_dx"):
        assert state[key] is None
    message = state["message"]
    assert message.startswith("Impossible") and f"K = {kernel}" in message
    assert f"{n} + 2·{padding} = {n + 2 * padding}" in message
    assert f"at most {n + 2 * padding}" in message and "padding of at least" in message
    need = int(message.split("padding of at least ")[1].rstrip("."))
    assert stride_state(n, kernel, 2, need)["fits"]
    with pytest.raises(ValueError):
        cb.conv2d(np.zeros((1, 1, n, n)), np.zeros((1, 1, kernel, kernel)), stride=2,
                  padding=padding)


def test_every_slider_setting_gives_a_state_that_matches_cnnbook():
    impossible = 0
    for n, kernel, stride, padding in ALL_SETTINGS:
        state = stride_state(n, kernel, stride, padding)
        assert isinstance(state["message"], str) and state["message"]
        if not state["fits"]:
            impossible += 1
            assert kernel > n + 2 * padding
            continue
        O = cb.output_size(n, kernel, stride, padding)
        M = cb.output_size(n, kernel, 1, padding)              # the stride-1 map
        assert state["output"] == O and state["stride1"] == M
        assert state["delta"].shape == (O, O) and state["expanded"].shape == (M, M)
        assert 0 <= state["leftover"] == M - ((O - 1) * stride + 1) < stride
        assert np.all(state["delta"] != 0) and np.all(state["w"] != 0)
        assert np.array_equal(state["expanded"] != 0, ~state["skipped"])
        assert state["full"].shape == (n + 2 * padding,) * 2
        assert state["dx"].shape == (n, n)
        assert state["matches"], (n, kernel, stride, padding)
        unread = [i for i in range(n) if not state["dx"][i].any()]
        assert set(state["uncovered"]) <= set(unread)
    assert impossible == 3 * len(range(1, 5))                 # (3,4,·,0), (3,5,·,0), (4,5,·,0)


def test_seed_and_given_arrays():
    a, b = stride_state(6, 3, 2, 1, seed=0), stride_state(6, 3, 2, 1, seed=1)
    assert np.array_equal(a["delta"], stride_state(6, 3, 2, 1, seed=0)["delta"])
    assert not np.array_equal(a["delta"], b["delta"]) or not np.array_equal(a["w"], b["w"])
    with pytest.raises(ValueError, match="delta must have shape"):
        stride_state(6, 3, 2, 1, delta=np.ones((2, 2)))
    with pytest.raises(ValueError, match="w must have shape"):
        stride_state(6, 3, 2, 1, w=np.ones((2, 2)))


# -- the view ------------------------------------------------------------------

def png(view):
    return view.png()


@pytest.fixture
def view():
    return StrideExplorer(n=5, kernel=3, stride=2, padding=1)


def _same(a, b):
    keys = ("delta", "expanded", "padded_delta", "full", "dx")
    return all(np.array_equal(a[k], b[k]) for k in keys) and a["message"] == b["message"]


def test_view_starts_with_the_state_of_its_settings(view):
    assert view.values == {"n": 5, "kernel": 3, "stride": 2, "padding": 1}
    assert _same(view.state, stride_state(5, 3, 2, 1))
    assert png(view).startswith(PNG)
    assert "3×3" in view.view.message


def test_moving_the_stride_slider_recomputes_arrays_picture_and_label(view):
    before_png, before_message = png(view), view.view.message
    view.stride.value = 1                              # as a reader dragging the slider
    state = view.state
    assert state["stride"] == 1 and state["output"] == 5
    np.testing.assert_array_equal(state["expanded"], state["delta"])
    dx, _, _ = cb.conv2d_backward(state["delta"][None, None], np.zeros((1, 1, 5, 5)),
                                  state["w"][None, None], 1, 1)
    np.testing.assert_array_equal(state["dx"], dx[0, 0])
    assert png(view) != before_png and png(view).startswith(PNG)
    assert view.view.message != before_message and "no window was skipped" in view.view.message


def test_update_floor_and_impossible_settings(view):
    state = view.update(n=6, kernel=3, stride=2, padding=0)
    assert state is view.state and state["leftover"] == 1 and state["uncovered"] == [5]
    fig = view.figure()
    assert "not (O−1)S+1 = 3" in fig.axes[0].get_title()
    floor_png = png(view)
    state = view.update(n=3, kernel=5, stride=1, padding=0)
    assert not state["fits"] and "Impossible" in view.view.message
    assert png(view).startswith(PNG) and png(view) != floor_png
    assert "impossible" in view.figure().axes[0].get_title()


def test_the_extremes_of_the_slider_ranges_draw(view):
    # smallest, largest (17×17 padded map), most skipped, F = 1 with P = 2, impossible
    for n, kernel, stride, padding in [(3, 1, 1, 0), (9, 5, 1, 2), (9, 1, 4, 2), (3, 1, 4, 2),
                                       (9, 5, 4, 0), (3, 5, 4, 0)]:
        state = view.update(n=n, kernel=kernel, stride=stride, padding=padding)
        assert _same(state, stride_state(n, kernel, stride, padding)) or not state["fits"]
        assert png(view).startswith(PNG)


def test_seed_of_the_view_and_bad_values():
    view = StrideExplorer(seed=3, n=5, kernel=3, stride=2, padding=1)
    assert _same(view.state, stride_state(5, 3, 2, 1, seed=3))
    with pytest.raises(ValueError, match="stride 5 is above this explorer's maximum 4"):
        view.update(stride=5)
    with pytest.raises(ValueError, match="unknown setting"):
        view.update(size=4)
