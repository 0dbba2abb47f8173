"""Headless tests of the output-size explorer: the pure state function, then the view.

No browser and no kernel: ipywidgets objects work without a front end, and the
picture is a PNG rendered with matplotlib's Agg backend.
"""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnnbook as cb
from cnnbook.widgets import OutputSizeExplorer, output_size_state

PNG = b"\x89PNG\r\n\x1a\n"
RANGES = OutputSizeExplorer.controls  # name → (min, max, description): the sliders' ranges


def slider_settings():
    """Every setting the explorer's sliders can reach."""
    return st.fixed_dictionaries(
        {name: st.integers(lo, hi) for name, (lo, hi, _) in RANGES.items()})


# -- the pure state function -------------------------------------------------

def test_seed001_setting():
    state = output_size_state(5, 3, 2, 1)
    assert state["fits"] and state["output"] == 3
    assert state["padded"] == 7
    assert state["exact"] == 2
    assert state["windows"] == [0, 2, 4]
    assert state["uncovered"] == [] and state["all_padding"] == []
    assert state["leftover"] == 0 and state["dropped"] is None
    assert "= 3" in state["message"] and "3×3" in state["message"]


def test_floor_drops_a_window_and_leaves_the_last_index_unread():
    state = output_size_state(6, 3, 2, 0)
    assert state["output"] == 2 == cb.output_size(6, 3, 2, 0)
    assert state["exact"] == Fraction(3, 2)
    assert state["windows"] == [0, 2]
    assert state["uncovered"] == [5] and state["tail"] == [5] and state["gaps"] == []
    assert state["leftover"] == 1 and state["dropped"] == 4
    message = state["message"]
    assert "floor" in message and "2.5" in message
    assert "index 5" in message and "gradient will be 0" in message


def test_impossible_setting_is_explained_not_raised():
    state = output_size_state(3, 5, 1, 0)
    assert not state["fits"]
    assert state["output"] == 0 and state["windows"] == [] and state["exact"] is None
    assert state["uncovered"] == [0, 1, 2]
    message = state["message"]
    assert message.startswith("Impossible")
    assert "K = 5" in message and "= 3" in message          # names the kernel and the padded input
    assert "at most 3" in message and "padding of at least 1" in message
    with pytest.raises(ValueError):                          # the numeric function does raise
        cb.output_size(3, 5, 1, 0)


def test_suggested_padding_makes_an_impossible_setting_fit():
    for n, kernel in [(3, 5), (1, 7), (2, 7), (4, 7)]:
        state = output_size_state(n, kernel, 1, 0)
        assert not state["fits"]
        need = int(state["message"].split("padding of at least ")[1].rstrip("."))
        assert output_size_state(n, kernel, 1, need)["fits"]
        assert not output_size_state(n, kernel, 1, need - 1)["fits"]


def test_stride_larger_than_kernel_leaves_gaps():
    state = output_size_state(7, 2, 3, 0)
    assert state["windows"] == [0, 3]
    assert state["gaps"] == [2]                  # jumped over between windows 0 and 1
    assert state["tail"] == [5, 6]               # after the last window
    assert state["uncovered"] == [2, 5, 6]
    assert "jumped over" in state["message"] and "S = 3" in state["message"]
    # no gaps when the stride is at most the kernel
    assert output_size_state(7, 3, 3, 0)["gaps"] == []


def test_padding_at_least_kernel_gives_all_padding_windows():
    state = output_size_state(4, 3, 1, 3)
    assert state["output"] == 8
    assert state["all_padding"] == [0, 7]
    assert "only padding zeros" in state["message"]
    assert output_size_state(4, 3, 1, 2)["all_padding"] == []   # P < F: never


@given(slider_settings())
def test_state_agrees_with_output_size_over_the_slider_ranges(s):
    state = output_size_state(s["n"], s["kernel"], s["stride"], s["padding"])
    padded = s["n"] + 2 * s["padding"]
    assert state["padded"] == padded
    assert state["fits"] == (s["kernel"] <= padded)
    assert isinstance(state["message"], str) and state["message"]
    if not state["fits"]:
        assert state["output"] == 0 and state["windows"] == []
        assert state["uncovered"] == list(range(s["n"]))
        with pytest.raises(ValueError):
            cb.output_size(s["n"], s["kernel"], s["stride"], s["padding"])
        return
    O = cb.output_size(s["n"], s["kernel"], s["stride"], s["padding"])
    assert state["output"] == O == len(state["windows"])
    assert state["exact"] == Fraction(padded - s["kernel"], s["stride"])
    assert state["windows"] == [o * s["stride"] for o in range(O)]
    assert state["windows"][-1] + s["kernel"] <= padded                  # the last one fits
    assert state["leftover"] == padded - (state["windows"][-1] + s["kernel"]) < s["stride"]
    if state["leftover"]:
        assert state["dropped"] + s["kernel"] > padded                   # one more would not fit
    else:
        assert state["dropped"] is None
    # uncovered = exactly the input pixels that no window reads, as the conv itself says
    x = np.zeros((1, 1, s["n"], s["n"]))
    w = np.ones((1, 1, s["kernel"], s["kernel"]))
    dx, _, _ = cb.conv2d_backward(np.ones((1, 1, O, O)), x, w, s["stride"], s["padding"])
    unread = [i for i in range(s["n"]) if not dx[0, 0, i].any()]
    assert state["uncovered"] == unread
    assert sorted(state["gaps"] + state["tail"]) == state["uncovered"]
    if state["gaps"]:
        assert s["stride"] > s["kernel"]
    assert bool(state["all_padding"]) == (s["padding"] >= s["kernel"])


def test_state_rejects_what_no_slider_can_reach():
    with pytest.raises(ValueError):
        output_size_state(0, 3)
    with pytest.raises(ValueError):
        output_size_state(5, 3, stride=0)
    with pytest.raises(ValueError):
        output_size_state(5, 3, padding=-1)
    with pytest.raises(ValueError):
        output_size_state(5.0, 3)


# -- the view ------------------------------------------------------------------

def png(view):
    """The bytes of the view's picture (ipywidgets stores them as a memoryview)."""
    return bytes(view.image.value)


@pytest.fixture
def view():
    return OutputSizeExplorer(n=5, kernel=3, stride=2, padding=1)


def test_view_starts_with_the_state_of_its_settings(view):
    assert view.values == {"n": 5, "kernel": 3, "stride": 2, "padding": 1}
    assert view.state == output_size_state(5, 3, 2, 1)
    assert png(view).startswith(PNG)
    assert "3×3" in view.label.value


def test_moving_a_slider_recomputes_state_picture_and_label(view):
    before_png, before_label = png(view), view.label.value
    view.stride.value = 3                          # as a reader dragging the slider
    assert view.state == output_size_state(5, 3, 3, 1)
    assert view.state["output"] == 2
    assert png(view).startswith(PNG) and png(view) != before_png
    assert view.label.value != before_label and view.state["message"] in view.label.value


def test_update_sets_several_sliders_and_returns_the_state(view):
    state = view.update(n=3, kernel=5, stride=1, padding=0)
    assert state is view.state
    assert view.sliders["kernel"].value == 5
    assert not state["fits"] and "Impossible" in view.label.value
    assert png(view).startswith(PNG)
    fig = view.figure()                            # the static copy draws the same state
    assert fig.axes and "no output" in fig.axes[0].get_title()
    view.update(n=6, kernel=3, stride=2, padding=0)
    assert view.state["dropped"] == 4 and view.state["uncovered"] == [5]


def test_every_corner_of_the_slider_ranges_draws(view):
    for n in (1, 12):
        for kernel in (1, 7):
            for stride in (1, 4):
                for padding in (0, 3):
                    state = view.update(n=n, kernel=kernel, stride=stride, padding=padding)
                    assert state == output_size_state(n, kernel, stride, padding)
                    assert png(view).startswith(PNG)


def test_unknown_setting_names_raise(view):
    with pytest.raises(ValueError, match="unknown setting"):
        view.update(size=4)
    with pytest.raises(ValueError, match="unknown setting"):
        OutputSizeExplorer(n=5, filter=3)


def test_out_of_range_start_values_raise():
    with pytest.raises(ValueError):
        OutputSizeExplorer(n=13)                   # above the slider's maximum
    with pytest.raises(ValueError):
        OutputSizeExplorer(stride=0)               # below the minimum


def test_update_rejects_values_outside_the_sliders_instead_of_clamping():
    view = OutputSizeExplorer(n=5, kernel=3, stride=2, padding=1)
    with pytest.raises(ValueError, match="stride 9 is above this explorer's maximum 4"):
        view.update(stride=9)
    with pytest.raises(ValueError, match="stride must be at least 1, got 0"):
        view.update(stride=0)
    with pytest.raises(ValueError, match="kernel must be an integer, got 2.5"):
        view.update(kernel=2.5)
    assert view.values == {"n": 5, "kernel": 3, "stride": 2, "padding": 1}
