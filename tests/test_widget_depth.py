"""Headless tests of the depth/filter explorer (chapter 6): the pure state, then the view.

The state function must agree with cnnbook's own backward pass: the partial maps of
channel d add up to ``conv2d_backward``'s dx[:, d], each partial map is exactly what
filter f alone sends back, and there are D sensitivity maps whatever N is.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnbook as cb
from cnnbook import viz
from cnnbook.widgets import DepthExplorer, depth_state

PNG = b"\x89PNG\r\n\x1a\n"
RANGES = DepthExplorer.controls


def slider_settings():
    """Every setting the explorer's sliders can reach (d below D, as ``limits`` keeps it)."""
    base = st.fixed_dictionaries(
        {name: st.integers(lo, hi) for name, (lo, hi, _) in RANGES.items() if name != "channel"})
    return base.flatmap(lambda s: st.integers(0, s["channels"] - 1).map(
        lambda d: {**s, "channel": d}))


def state_of(s):
    return depth_state(s["channels"], s["filters"], s["n"], s["kernel"], s["channel"],
                       stride=s["stride"], padding=s["padding"])


def same_state(a, b):
    """Two states are equal: same keys, equal arrays and equal plain values."""
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            assert np.array_equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key
    return True


# -- the pure state function -------------------------------------------------

def test_default_setting_sums_the_partial_maps_into_cnnbooks_dx():
    state = depth_state(3, 2, 5, 3, 1)
    x, w, delta = state["x"], state["w"], state["delta"]
    assert x.shape == (1, 3, 5, 5) and w.shape == (2, 3, 3, 3) and delta.shape == (1, 2, 3, 3)
    for arr in (x, w, delta):                       # integer examples: exact arithmetic
        assert np.array_equal(arr, np.round(arr))
    dx, dw, db = cb.conv2d_backward(delta, x, w)
    assert state["partial"].shape == (2, 5, 5)
    assert np.array_equal(state["partial"].sum(axis=0), dx[0, 1])
    assert np.array_equal(state["total"], dx[0, 1])
    assert np.array_equal(state["dW"], dw[:, 1])
    assert np.array_equal(state["db_f"], db)
    assert state["errors"] == {"dx": 0.0, "dW": 0.0, "db": 0.0} and state["matches"]
    # stride 1, no padding: partial_f is literally the full correlation with rot180(W[f, d])
    for f in range(2):
        full = cb.correlate2d(delta[0, f], cb.rot180(w[f, 1]), "full")
        assert np.array_equal(state["partial"][f], full)
        assert np.array_equal(state["kernels"][f], cb.rot180(w[f, 1]))
        assert np.array_equal(state["dW"][f], cb.correlate2d(x[0, 1], delta[0, f]))


def test_each_partial_map_is_what_that_filter_alone_sends_back():
    state = depth_state(2, 4, 6, 3, 1, stride=2, padding=1)
    x, w, delta = state["x"], state["w"], state["delta"]
    for f in range(4):
        alone = np.zeros_like(delta)
        alone[:, f] = delta[:, f]                   # only filter f's error reaches the layer
        dx_f, _, _ = cb.conv2d_backward_reference(alone, x, w, stride=2, padding=1)
        assert np.array_equal(state["partial"][f], dx_f[0, 1])


def test_there_are_D_sensitivity_maps_not_N():
    state = depth_state(2, 4, 5, 3, 0)
    assert state["dx"].shape == (1, 2, 5, 5)        # D = 2 maps, although N = 4
    assert state["partial"].shape[0] == 4           # N partial maps in each
    assert state["counts"] == {"sensitivity_maps": 2, "partials_per_map": 4,
                               "kernels": 8, "biases": 4}
    message = state["message"]
    assert "D = 2 sensitivity maps" in message and "N = 4 partial maps" in message
    assert "N·D = 4·2 = 8 kernels of 3×3" in message and "N = 4 biases" in message
    assert "dx has shape (1, 2, 5, 5)" in message and "max error 0" in message


def test_stride_and_padding_show_in_the_arrays_and_the_message():
    state = depth_state(1, 1, 6, 3, 0, stride=2, padding=1)
    # padded 8, O = ⌊(8 − 3)/2⌋ + 1 = 3, stride-1 size 6 (one row more than (O − 1)S + 1)
    assert state["output"] == 3 and state["size1"] == 6
    assert state["delta1"].shape == (1, 6, 6)
    assert np.array_equal(state["delta1"][0, ::2, ::2], state["delta"][0, 0])
    assert not state["delta1"][0, 1::2].any() and not state["delta1"][0, :, 1::2].any()
    assert state["delta_padded"].shape == (1, 10, 10)      # K − 1 = 2 rings of zeros
    assert state["partial_padded"].shape == (1, 8, 8)      # n + 2P
    assert np.array_equal(state["partial"], state["partial_padded"][:, 1:-1, 1:-1])
    assert state["matches"]
    assert "Stride S = 2" in state["message"] and "Padding P = 1" in state["message"]
    plain = depth_state(1, 1, 6, 3, 0)
    assert "Stride" not in plain["message"] and "Padding" not in plain["message"]


def test_adding_a_filter_or_channel_keeps_the_others():
    small = depth_state(2, 2, 5, 3, 0)
    big = depth_state(3, 4, 5, 3, 0)
    assert np.array_equal(big["x"][:, :2], small["x"])
    assert np.array_equal(big["w"][:2, :2], small["w"])
    assert np.array_equal(big["delta"][:, :2], small["delta"])
    assert np.array_equal(big["partial"][:2], small["partial"])   # channel 0's shares


def test_deterministic_and_seeded():
    assert same_state(depth_state(3, 2, 5, 3, 2), depth_state(3, 2, 5, 3, 2))
    other = depth_state(3, 2, 5, 3, 2, seed=1)
    assert not np.array_equal(other["x"], depth_state(3, 2, 5, 3, 2)["x"])
    assert other["matches"]


def test_impossible_setting_is_explained_not_raised():
    state = depth_state(2, 3, 3, 4, 1)
    assert not state["fits"] and state["output"] == 0
    assert state["partial"].shape == (3, 0, 0) and state["total"].shape == (0, 0)
    message = state["message"]
    assert message.startswith("Impossible")
    assert "K = 4" in message and "= 3" in message
    assert "at most 3" in message and "padding of at least 1" in message
    assert depth_state(2, 3, 3, 4, 1, padding=1)["fits"]


@given(slider_settings())
def test_every_slider_setting_agrees_with_cnnbook(s):
    state = state_of(s)
    D, N, n, K, d, S, P = (s[k] for k in ("channels", "filters", "n", "kernel", "channel",
                                          "stride", "padding"))
    assert isinstance(state["message"], str) and state["message"]
    assert state["fits"] == (K <= n + 2 * P)
    assert state["counts"]["kernels"] == N * D
    if not state["fits"]:
        return
    O = cb.output_size(n, K, S, P)
    assert state["output"] == O and state["delta"].shape == (1, N, O, O)
    dx, dw, db = cb.conv2d_backward_reference(state["delta"], state["x"], state["w"], S, P)
    assert dx.shape == (1, D, n, n)
    assert state["partial"].shape == (N, n, n)
    assert np.allclose(state["partial"].sum(axis=0), dx[0, d], atol=1e-12)
    assert np.allclose(state["dW"], dw[:, d], atol=1e-12)
    assert np.allclose(state["db_f"], db, atol=1e-12)
    assert state["matches"]


def test_state_rejects_what_no_slider_can_reach():
    with pytest.raises(ValueError, match="channel d must be below D = 2"):
        depth_state(2, 1, 5, 3, 2)
    with pytest.raises(ValueError):
        depth_state(0, 1, 5, 3, 0)
    with pytest.raises(ValueError):
        depth_state(1, 0, 5, 3, 0)
    with pytest.raises(ValueError):
        depth_state(1, 1, 5, 3, 0, stride=0)
    with pytest.raises(ValueError):
        depth_state(1, 1, 5.0, 3, 0)


# -- the view ------------------------------------------------------------------

def png(view):
    return view.png()


@pytest.fixture
def view():
    return DepthExplorer()


def test_view_starts_with_the_state_of_its_defaults(view):
    assert view.values == {"channels": 3, "filters": 2, "channel": 0, "n": 5, "kernel": 3,
                           "stride": 1, "padding": 0}
    assert same_state(view.state, depth_state(3, 2, 5, 3, 0))
    assert png(view).startswith(PNG)
    assert "sensitivity maps" in view.view.message


def test_moving_sliders_recomputes_state_and_picture(view):
    before = png(view)
    view.filters.value = 3                         # as a reader dragging the slider
    assert same_state(view.state, depth_state(3, 3, 5, 3, 0))
    assert png(view).startswith(PNG) and png(view) != before
    before = png(view)
    view.channel.value = 2
    assert view.state["channel"] == 2
    assert np.array_equal(view.state["total"], view.state["dx"][0, 2])
    assert png(view) != before
    state = view.update(stride=2, padding=1, n=6)
    assert same_state(state, depth_state(3, 3, 6, 3, 2, stride=2, padding=1))
    assert view.state["message"].split("\n")[0] in view.view.message


def test_limits_clamp_the_channel_when_D_shrinks(view):
    view.update(channel=2)
    assert view.channel.max == 2
    view.update(channels=2)
    assert view.channel.max == 1 and view.channel.value == 1
    assert view.state["channel"] == 1
    view.channels.value = 1                        # the slider, not update()
    assert view.channel.max == 0 and view.channel.value == 0
    assert view.state["channel"] == 0 and view.state["dx"].shape[1] == 1
    view.update(channels=3, channel=2)             # d checked after D widened its range
    assert view.values["channel"] == 2
    with pytest.raises(ValueError, match="channel 2 is above this explorer's maximum 1"):
        view.update(channels=2, channel=2)


def test_start_values_are_checked():
    with pytest.raises(ValueError, match="channel d must be below D = 2"):
        DepthExplorer(channels=2, channel=2)
    with pytest.raises(ValueError):
        DepthExplorer(filters=5)
    with pytest.raises(ValueError, match="unknown setting"):
        DepthExplorer(depth=2)


def test_figure_has_a_row_per_filter_and_grows_with_N(view):
    small = view.figure().get_size_inches()
    view.update(filters=4)
    big = view.figure().get_size_inches()
    assert big[1] > small[1]
    texts = [t.get_text() for t in view.figure().axes[0].texts]
    assert [t for t in texts if t.startswith("filter ")] == [f"filter {f}" for f in range(4)]
    assert sum(t.startswith("partial ") for t in texts) == 8   # 4 rows + 4 in the sum


def test_impossible_setting_draws_a_note(view):
    state = view.update(n=3, kernel=4, padding=0)
    assert not state["fits"] and "Impossible" in view.view.message
    assert png(view).startswith(PNG)
    texts = [t.get_text() for t in view.figure().axes[0].texts]
    assert any("no window fits" in t for t in texts)


def test_every_corner_of_the_slider_ranges_draws(view):
    for channels, filters in ((1, 1), (3, 4)):
        for n, kernel in ((3, 1), (6, 4), (3, 3)):
            for stride, padding in ((1, 0), (2, 1)):
                state = view.update(channels=channels, filters=filters, n=n, kernel=kernel,
                                    stride=stride, padding=padding, channel=channels - 1)
                assert same_state(state, depth_state(channels, filters, n, kernel, channels - 1,
                                                     stride=stride, padding=padding))
                assert png(view).startswith(PNG)


def test_picture_of_a_state_is_the_explorers_figure(view):
    view.update(channels=2, filters=3, channel=1, stride=2, padding=1)
    state = depth_state(2, 3, 5, 3, 1, stride=2, padding=1)
    assert viz.figure_png(DepthExplorer.picture(state)) == viz.figure_png(view.figure())
    impossible = DepthExplorer.picture(depth_state(1, 1, 3, 4, 0))
    assert any("no window fits" in t.get_text() for t in impossible.axes[0].texts)
