"""Headless tests of the pooling explorer (chapter 7): the pure state function, then the view.

Every array the picture shows is checked against cnnbook's own pooling functions;
ties, overlaps, the floor, padding and the impossible settings each have a test.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb
from cnnbook.widgets import PoolingExplorer, pooling_state

PNG = b"\x89PNG\r\n\x1a\n"
CONTROLS = PoolingExplorer.controls
SLIDERS = {name: spec for name, spec in CONTROLS.items() if name != "mode"}


def slider_settings():
    """Every setting the explorer's controls can reach."""
    values = {name: st.integers(lo, hi) for name, (lo, hi, _) in SLIDERS.items()}
    values["mode"] = st.sampled_from(CONTROLS["mode"][0])
    return st.fixed_dictionaries(values)


def pooled(state):
    """cnnbook's own forward and backward for the state's setting."""
    X = state["x"][None, None]
    D = state["delta"][None, None]
    k, s, p = state["window"], state["stride"], state["padding"]
    if state["mode"] == "max":
        return cb.max_pool2d(X, k, s, p)[0, 0], cb.max_pool2d_backward(D, X, k, s, p)[0, 0]
    return cb.avg_pool2d(X, k, s, p)[0, 0], cb.avg_pool2d_backward(D, X, k, s, p)[0, 0]


def first_maximum(state, i, j):
    """Window (i, j)'s first maximum in row-major order, by plain numpy (input coordinates)."""
    k, s, p = state["window"], state["stride"], state["padding"]
    block = np.pad(state["x"], p, constant_values=-np.inf)[i * s:i * s + k, j * s:j * s + k]
    a, b = np.unravel_index(np.argmax(block), block.shape)   # np.argmax: the first maximum
    return i * s + a - p, j * s + b - p


# -- the pure state function -------------------------------------------------

def test_default_setting_is_seed001s_2x2_pool_with_a_tie():
    state = pooling_state("max", 4, 2, 2)
    assert state["possible"] and state["output_size"] == 2
    out, up = pooled(state)
    assert_array_equal(state["output"], out)
    assert_array_equal(state["upsampled"], up)
    assert state["ties"], "the default input should show a tie"
    (i, j), cells = state["ties"][0]
    assert len(cells) >= 2 and cells == sorted(cells)            # row-major order
    assert tuple(state["argmax"][i, j]) == cells[0]              # the first maximum wins
    assert up[cells[0]] == state["delta"][i, j]
    assert all(up[c] == 0 for c in cells[1:])                    # the others get nothing
    message = state["message"]
    assert "⌊(4 − 2 + 2·0)/2⌋ + 1" in message and "= 2" in message
    assert "Tie" in message and "first" in message


def test_input_depends_only_on_size_and_seed():
    a = pooling_state("max", 5, 2, 2)
    b = pooling_state("mean", 5, 3, 1, 1)
    assert_array_equal(a["x"], b["x"])                           # moving K, S, P keeps the input
    assert not np.array_equal(a["x"], pooling_state("max", 5, 2, 2, seed=1)["x"])
    assert a["x"].dtype == np.float64 and np.array_equal(a["x"], np.round(a["x"]))
    assert (a["delta"] != 0).all()


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_mode_toggle_switches_between_cnnbooks_functions(mode):
    state = pooling_state(mode, 6, 3, 2, 1)
    out, up = pooled(state)
    assert_array_equal(state["output"], out)
    assert_allclose(state["upsampled"], up, rtol=0, atol=0)
    other = pooling_state("mean" if mode == "max" else "max", 6, 3, 2, 1)
    assert not np.array_equal(state["upsampled"], other["upsampled"])


def test_max_argmax_is_the_first_maximum_of_every_window():
    for n, k, s, p in [(4, 2, 2, 0), (5, 3, 2, 1), (7, 2, 1, 0), (6, 3, 1, 1), (9, 4, 3, 2)]:
        state = pooling_state("max", n, k, s, p)
        O = state["output_size"]
        assert state["argmax"].shape == (O, O, 2)
        for i, j in itertools.product(range(O), range(O)):
            assert tuple(state["argmax"][i, j]) == first_maximum(state, i, j)
            assert state["x"][tuple(state["argmax"][i, j])] == state["output"][i, j]


def test_ties_are_listed_and_every_listed_tie_is_real():
    found = 0
    for n, k, s in itertools.product(range(2, 10), range(1, 6), range(1, 5)):
        state = pooling_state("max", n, k, s)
        if not state["possible"]:
            continue
        for (i, j), cells in state["ties"]:
            found += 1
            assert len(cells) >= 2
            assert all(state["x"][c] == state["output"][i, j] for c in cells)
            assert cells[0] == first_maximum(state, i, j)
    assert found > 10  # small integers: ties are common, as the explorer wants


def test_overlapping_windows_accumulate():
    state = pooling_state("max", 5, 2, 1)
    assert state["overlap"]
    counts = state["counts"]
    assert counts.max() >= 2                                     # one cell wins several windows
    r, c = np.argwhere(counts == counts.max())[0]
    winners = [state["delta"][i, j] for i, j in itertools.product(range(4), range(4))
               if tuple(state["argmax"][i, j]) == (r, c)]
    assert len(winners) == counts[r, c]
    assert state["upsampled"][r, c] == sum(winners)              # added, not overwritten
    assert "Overlap" in state["message"] and f"{counts.max()} windows" in state["message"]
    mean = pooling_state("mean", 5, 3, 1)
    assert_array_equal(mean["counts"], cb.participation_counts(5, 3, 1))
    assert mean["counts"].max() == 9


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_sum_of_upsampled_delta_equals_sum_of_delta_without_padding(mode):
    for n, k, s in itertools.product(range(2, 10), range(1, 6), range(1, 5)):
        state = pooling_state(mode, n, k, s)
        if state["possible"]:
            assert state["upsampled"].sum() == pytest.approx(state["delta"].sum(), abs=1e-12)
            assert state["sum_upsampled"] == pytest.approx(state["sum_delta"], abs=1e-12)


def test_counts_are_the_backward_pass_of_ones():
    for mode, (n, k, s, p) in itertools.product(["max", "mean"], [(5, 3, 2, 1), (8, 2, 1, 0)]):
        state = pooling_state(mode, n, k, s, p)
        ones = np.ones((1, 1, state["output_size"], state["output_size"]))
        X = state["x"][None, None]
        if mode == "max":
            expected = cb.max_pool2d_backward(ones, X, k, s, p)[0, 0]
        else:
            expected = cb.avg_pool2d_backward(ones, X, k, s, p)[0, 0] * k * k
        assert_allclose(state["counts"], expected, atol=1e-12)
        assert_array_equal(state["coverage"], cb.participation_counts(n, k, s, p))


def test_padding_max_never_routes_to_padding_mean_loses_a_share():
    mx = pooling_state("max", 5, 3, 2, 1)
    assert mx["upsampled"].sum() == pytest.approx(mx["delta"].sum())
    assert "−∞" in mx["message"]
    mean = pooling_state("mean", 5, 3, 2, 1)
    assert mean["sum_upsampled"] != pytest.approx(mean["sum_delta"])
    assert mean["sum_upsampled"] == pytest.approx(mean["upsampled"].sum())
    assert "count_include_pad" in mean["message"] and "fell on padding" in mean["message"]
    # each window sends δ·(its real cells)/K²: what padding takes is exactly the rest
    real = cb.avg_pool2d(np.ones((1, 1, 5, 5)), 3, 2, 1)[0, 0]   # fraction of real cells
    assert mean["sum_upsampled"] == pytest.approx((mean["delta"] * real).sum())


def test_floor_drops_a_window_and_says_ceil_would_keep_it():
    state = pooling_state("max", 7, 2, 2)
    assert state["output_size"] == 3 == cb.output_size(7, 2, 2)
    assert state["exact"] == 2.5
    assert state["uncovered"] == [6]
    assert (state["upsampled"][6] == 0).all() and (state["upsampled"][:, 6] == 0).all()
    message = state["message"]
    assert "floor" in message and "5/2 = 2.5" in message and "4×4" in message


@pytest.mark.parametrize("setting, numbers, fix", [
    (("max", 2, 5, 1, 0), ["K = 5", "L + 2P = 2 + 2·0 = 2"], "padding of at least 2"),
    (("mean", 4, 1, 1, 1), ["2P = 2 > K = 1", "⌊K/2⌋ = 0"], "padding of at most 0"),
    (("max", 3, 2, 2, 2), ["2P = 4 > K = 2"], "a window of at least 4"),
])
def test_impossible_settings_are_explained_not_raised(setting, numbers, fix):
    state = pooling_state(*setting)
    assert not state["possible"]
    assert state["output_size"] == 0 and state["output"].shape == (0, 0)
    assert state["argmax"] is None and state["windows"] == []
    assert not state["upsampled"].any()
    message = state["message"]
    assert message.startswith("Impossible")
    for text in numbers:
        assert text in message
    assert fix in message
    mode, n, k, s, p = setting
    pool = cb.max_pool2d if mode == "max" else cb.avg_pool2d
    with pytest.raises(ValueError):                              # cnnbook itself refuses
        pool(np.zeros((1, 1, n, n)), k, s, p)


def test_suggested_padding_makes_a_too_large_window_fit():
    for n, k in [(2, 5), (2, 4), (3, 5)]:
        state = pooling_state("max", n, k, 1, 0)
        need = int(state["message"].split("padding of at least ")[1].split(".")[0])
        assert pooling_state("max", n, k, 1, need)["possible"]
        assert not pooling_state("max", n, k, 1, need - 1)["possible"]


@given(slider_settings())
def test_every_reachable_setting_agrees_with_cnnbook(s):
    state = pooling_state(s["mode"], s["n"], s["window"], s["stride"], s["padding"])
    assert isinstance(state["message"], str) and state["message"]
    possible = s["n"] + 2 * s["padding"] >= s["window"] and 2 * s["padding"] <= s["window"]
    assert state["possible"] == possible
    if not possible:
        assert state["message"].startswith("Impossible")
        return
    out, up = pooled(state)
    assert_array_equal(state["output"], out)
    assert_allclose(state["upsampled"], up, atol=1e-12)
    assert state["output_size"] == cb.output_size(s["n"], s["window"], s["stride"], s["padding"])
    if s["mode"] == "max":
        assert state["upsampled"].sum() == pytest.approx(state["delta"].sum(), abs=1e-9)
        assert state["counts"].sum() == state["output_size"] ** 2   # one route per window
    assert state["overlap"] == (s["stride"] < s["window"])


def test_state_rejects_what_no_control_can_reach():
    with pytest.raises(ValueError, match="mode must be one of"):
        pooling_state("median", 4, 2, 2)
    with pytest.raises(ValueError):
        pooling_state("max", 0, 2, 2)
    with pytest.raises(ValueError):
        pooling_state("max", 4, 2, 0)
    with pytest.raises(ValueError):
        pooling_state("max", 4, 2, 2, padding=-1)


# -- the view ------------------------------------------------------------------

def png(view):
    return view.png()


@pytest.fixture
def view():
    return PoolingExplorer()


def test_view_starts_at_the_default_setting(view):
    assert view.values == {"mode": "max", "n": 4, "window": 2, "stride": 2, "padding": 0}
    state = pooling_state("max", 4, 2, 2, 0)
    assert_array_equal(view.state["upsampled"], state["upsampled"])
    assert view.state["message"] == state["message"]
    assert png(view).startswith(PNG)


def test_toggling_the_mode_recomputes_state_picture_and_label(view):
    before_png, before_message = png(view), view.view.message
    view.mode.value = "mean"                                     # as a click would
    assert view.state["mode"] == "mean" and view.state["argmax"] is None
    _, up = pooled(view.state)
    assert_array_equal(view.state["upsampled"], up)
    assert_array_equal(view.state["upsampled"], np.kron(view.state["delta"], np.ones((2, 2))) / 4)
    assert png(view).startswith(PNG) and png(view) != before_png
    assert view.view.message != before_message and "Mean pooling" in view.view.message


def test_moving_sliders_shows_overlaps(view):
    before = png(view)
    view.stride.value = 1                                        # as a reader dragging
    assert view.state["overlap"] and view.state["output_size"] == 3
    assert png(view) != before
    state = view.update(n=6, window=3, stride=1, padding=1)
    out, up = pooled(state)
    assert_array_equal(state["output"], out)
    assert_array_equal(state["upsampled"], up)
    assert state["counts"].max() >= 2
    assert "Overlap" in view.view.message


def test_impossible_setting_draws_and_explains(view):
    state = view.update(n=2, window=5, stride=1, padding=0)
    assert not state["possible"]
    assert "Impossible" in view.view.message and png(view).startswith(PNG)
    fig = view.figure()
    assert "impossible" in fig._suptitle.get_text()
    state = view.update(n=4, window=1, padding=1)
    assert not state["possible"] and "more than half the window" in state["message"]


def test_every_corner_of_the_controls_computes_and_the_extremes_draw(view):
    corners = list(itertools.product(["max", "mean"], (2, 9), (1, 5), (1, 4), (0, 2)))
    for mode, n, window, stride, padding in corners:                 # state only: fast
        state = pooling_state(mode, n, window, stride, padding)
        assert state["message"] and state["upsampled"].shape == (n, n)
    # drawing is slow for the largest grids, so draw the extremes, not all 32 corners
    for mode, n, window, stride, padding in [("max", 9, 1, 1, 0), ("mean", 9, 5, 1, 2),
                                             ("max", 9, 4, 1, 2), ("mean", 2, 5, 4, 2)]:
        state = view.update(mode=mode, n=n, window=window, stride=stride, padding=padding)
        assert state["message"] == pooling_state(mode, n, window, stride, padding)["message"]
        assert png(view).startswith(PNG)


def test_out_of_range_values_raise(view):
    with pytest.raises(ValueError, match="above this explorer's maximum"):
        view.update(n=10)
    with pytest.raises(ValueError, match="mode must be one of"):
        view.update(mode="median")
    with pytest.raises(ValueError):
        PoolingExplorer(window=0)
