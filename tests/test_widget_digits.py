"""Headless tests of the digit explorer (chapter 10): the pure state function, then the view.

A tiny seeded, untrained CNN stands in for the trained network (the state function
only needs something with forward and backward); every array of the state is checked
against a direct forward/backward pass, and ∂E/∂x against finite differences.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb
from cnnbook.data import Dataset, load_digits
from cnnbook.nn import Conv2d, CrossEntropyLoss, Flatten, Linear, MaxPool2d, ReLU, Sequential
from cnnbook.widgets import DigitExplorer, digit_state
from cnnbook.widgets.digits import TRUE_LABEL, _percent

PNG = b"\x89PNG\r\n\x1a\n"


def tiny_model(seed=0):
    """Untrained, seeded. The convolution's bias is slightly negative: on the blank
    background every net would otherwise be exactly 0 (ReLU's kink) or a tie of equal
    values in a pooling window, where finite differences average two one-sided slopes."""
    rng = np.random.default_rng(seed)
    model = Sequential(Conv2d(1, 2, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                       Flatten(), Linear(2 * 4 * 4, 10, rng=rng))
    model[0].bias.data[:] = -0.05
    return model


@pytest.fixture(scope="module")
def data():
    full = load_digits()
    return Dataset(full.x_train[:20], full.y_train[:20], full.x_test[:12], full.y_test[:12])


@pytest.fixture
def model():
    return tiny_model()


def direct(model, data, index, target):
    """Forward, the loss's δ, backward — written out, for comparison."""
    x = data.x_test[index:index + 1]
    logits = model.forward(x)
    loss = CrossEntropyLoss()
    E = loss.forward(logits, np.array([target]))
    dx = model.backward(loss.backward())
    return logits[0], E, dx[0, 0]


# -- the pure state function -------------------------------------------------

@pytest.mark.parametrize("index", [0, 5, 11])
def test_state_arrays_equal_a_direct_forward_and_backward(model, data, index):
    state = digit_state(model, data, index)
    label = int(data.y_test[index])
    logits, E, dx = direct(model, data, index, label)
    assert_array_equal(state["image"], data.x_test[index, 0])
    assert state["label"] == label and state["target"] == label and state["target_is_label"]
    assert_allclose(state["logits"], logits, rtol=0, atol=0)
    assert_allclose(state["probabilities"], cb.softmax(logits[None])[0], rtol=0, atol=0)
    assert state["probabilities"].sum() == pytest.approx(1.0)
    assert state["predicted"] == int(np.argmax(logits))
    assert state["correct"] == (state["predicted"] == label)
    assert state["runner_up"] == int(np.argsort(-logits)[1])
    assert state["loss"] == pytest.approx(E) == pytest.approx(-np.log(state["probabilities"][label]))
    assert_allclose(state["gradient"], dx, rtol=1e-12, atol=1e-15)
    assert state["max_abs"] == np.abs(dx).max()
    assert abs(dx[state["largest"]]) == state["max_abs"]
    assert state["count"] == 12 and state["index"] == index


def test_gradient_equals_finite_differences(model, data):
    state = digit_state(model, data, 2, target=4)
    x = data.x_test[2:3]
    numeric = cb.numerical_gradient(
        lambda v: cb.softmax_cross_entropy(model.forward(v), np.array([4])), x)
    assert cb.rel_error(state["gradient"], numeric[0, 0]) < 1e-7


def test_target_class_changes_the_loss_and_the_map(model, data):
    label = int(data.y_test[1])
    other = (label + 3) % 10
    own = digit_state(model, data, 1)
    assert_array_equal(digit_state(model, data, 1, TRUE_LABEL)["gradient"], own["gradient"])
    assert_array_equal(digit_state(model, data, 1, label)["gradient"], own["gradient"])
    state = digit_state(model, data, 1, np.int64(other))
    assert state["target"] == other and not state["target_is_label"]
    _, E, dx = direct(model, data, 1, other)
    assert state["loss"] == pytest.approx(E)
    assert_allclose(state["gradient"], dx, rtol=1e-12, atol=1e-15)
    assert not np.allclose(state["gradient"], own["gradient"])
    assert_array_equal(state["probabilities"], own["probabilities"])   # the prediction is the same
    assert f"class {other}, not its label {label}" in state["message"]


def test_message_reads_the_prediction(model, data):
    state = digit_state(model, data, 0)
    p = state["probabilities"]
    message = state["message"]
    assert message.startswith(f"Test digit 0 of 12 is a {state['label']}.")
    assert f"The network says {state['predicted']} ({_percent(p[state['predicted']])})" in message
    assert ("right" if state["correct"] else "wrong") in message
    assert "blue pixels" in message and "more like a" in message


def test_a_sure_network_has_a_faint_map(data):
    model = tiny_model()
    label = int(data.y_test[0])
    model[-1].bias.data[label] = 60.0          # p(label) ≈ 1 whatever the image
    state = digit_state(model, data, 0)
    assert state["correct"] and state["probabilities"][label] > 0.999
    assert "already sure" in state["message"] and state["max_abs"] < 1e-10
    assert "right" in state["message"]
    wrong = digit_state(model, data, 0, target=(label + 1) % 10)
    assert wrong["max_abs"] > 1e3 * state["max_abs"]  # another target: a strong map
    assert "already sure" not in wrong["message"]


def test_percent():
    assert [_percent(p) for p in (1.0, 0.9996, 0.951, 0.0312, 0.0004, 1e-9)] == [
        "100.0 %", "> 99.9 %", "95.1 %", "3.1 %", "0.04 %", "< 0.01 %"]


def test_bad_index_target_or_data_raise(model, data):
    with pytest.raises(ValueError, match=r"index 12 is out of range: the test set has 12 images \(0 … 11\)"):
        digit_state(model, data, 12)
    with pytest.raises(ValueError):
        digit_state(model, data, -1)
    with pytest.raises(ValueError, match="target class 10 is out of range"):
        digit_state(model, data, 0, target=10)
    with pytest.raises(ValueError, match="target must be"):
        digit_state(model, data, 0, target="three")
    with pytest.raises(ValueError, match="target must be"):
        digit_state(model, data, 0, target=True)
    with pytest.raises(ValueError, match="must be a cnnbook.data.Dataset"):
        digit_state(model, (data.x_test, data.y_test), 0)


# -- the view ------------------------------------------------------------------

def png(view):
    return bytes(view.image.value)


@pytest.fixture
def view(model, data):
    return DigitExplorer(model, data, index=0)


def test_view_starts_at_the_given_digit(view, model, data):
    assert view.values == {"index": 0, "target": TRUE_LABEL}
    assert (view.index.min, view.index.max) == (0, 11)
    assert list(view.target.options) == [TRUE_LABEL, *range(10)]
    state = digit_state(model, data, 0)
    assert_array_equal(view.state["gradient"], state["gradient"])
    assert view.state["message"] == state["message"]
    assert png(view).startswith(PNG)


def test_moving_the_slider_and_clicking_a_target_update_state_and_picture(view, model, data):
    before_png, before_label = png(view), view.label.value
    view.index.value = 7                                          # as a reader dragging
    assert view.state["index"] == 7
    assert_array_equal(view.state["image"], data.x_test[7, 0])
    assert png(view).startswith(PNG) and png(view) != before_png
    assert view.label.value != before_label and "Test digit 7 of 12" in view.label.value
    before_png = png(view)
    target = (int(data.y_test[7]) + 1) % 10
    view.target.value = target                                    # as a click would
    assert view.state["target"] == target and not view.state["target_is_label"]
    _, _, dx = direct(model, data, 7, target)
    assert_allclose(view.state["gradient"], dx, rtol=1e-12, atol=1e-15)
    assert png(view) != before_png
    state = view.update(index=3, target=TRUE_LABEL)
    assert state["index"] == 3 and state["target"] == int(data.y_test[3])
    fig = view.figure()
    assert len(fig.axes) == 4                                     # 3 panels and the colour bar


def test_constructor_target_and_bad_settings(model, data):
    view = DigitExplorer(model, data, index=4, target=2)
    assert view.state["target"] == 2 and view.values["target"] == 2
    assert DigitExplorer(model, data, target=None).values["target"] == TRUE_LABEL
    with pytest.raises(ValueError, match="above this explorer's maximum 11"):
        view.update(index=12)
    with pytest.raises(ValueError, match="target must be one of"):
        view.update(target=10)
    with pytest.raises(ValueError):
        DigitExplorer(model, data, index=-1)
