"""Activations, dense, flatten, softmax cross-entropy."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb

ACTIVATIONS = [
    (cb.relu, cb.relu_derivative, cb.relu_backward),
    (cb.sigmoid, cb.sigmoid_derivative, cb.sigmoid_backward),
    (cb.tanh, cb.tanh_derivative, cb.tanh_backward),
]


def test_activation_values():
    x = np.array([-2.0, 0.0, 3.0])
    assert_array_equal(cb.relu(x), [0, 0, 3])
    assert_array_equal(cb.relu_derivative(x), [0, 0, 1])
    assert_allclose(cb.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    assert_allclose(cb.sigmoid_derivative(0.0), 0.25)
    assert_allclose(cb.tanh_derivative(0.0), 1.0)


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):
        assert_array_equal(cb.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


@pytest.mark.parametrize("f, fprime, fb", ACTIVATIONS, ids=["relu", "sigmoid", "tanh"])
def test_activation_derivatives_match_finite_differences(f, fprime, fb, rng):
    x = rng.normal(size=(3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    dout = rng.normal(size=x.shape)
    num = cb.numerical_gradient(f, x, dout)
    assert_allclose(fb(dout, x), num, atol=1e-8)
    assert_allclose(dout * fprime(x), num, atol=1e-8)


def test_dense_forward_is_w_x_plus_b_per_row(rng):
    x, w, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4)
    out = cb.dense(x, w, b)
    assert_allclose(out[2], w @ x[2] + b)
    assert_allclose(cb.dense(x, w), x @ w.T)


def test_dense_backward_matches_finite_differences(rng):
    x, w, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4)
    dout = rng.normal(size=(5, 4))
    dx, dw, db = cb.dense_backward(dout, x, w)
    assert_allclose(dx, cb.numerical_gradient(lambda v: cb.dense(v, w, b), x, dout), atol=1e-8)
    assert_allclose(dw, cb.numerical_gradient(lambda v: cb.dense(x, v, b), w, dout), atol=1e-8)
    assert_allclose(db, cb.numerical_gradient(lambda v: cb.dense(x, w, v), b, dout), atol=1e-8)
    # single sample: ∇W = δ xᵀ, ∇x = Wᵀ δ
    _, dw1, _ = cb.dense_backward(dout[:1], x[:1], w)
    assert_allclose(dw1, np.outer(dout[0], x[0]))


def test_flatten_round_trip(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    f = cb.flatten(x)
    assert f.shape == (2, 60)
    assert_array_equal(f[1, :5], x[1, 0, 0])  # row-major: channel, then row, then column
    assert_array_equal(cb.flatten_backward(f, x.shape), x)


def test_softmax_is_stable_and_sums_to_one():
    z = np.array([[1000.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]])
    p = cb.softmax(z)
    assert np.isfinite(p).all()
    assert_allclose(p.sum(axis=1), 1.0)
    assert_allclose(p[0], [0.5, 0.5, 0.0])
    assert_allclose(cb.softmax(z[1:] + 50), cb.softmax(z[1:]))  # shift invariance


def test_cross_entropy_known_value():
    logits = np.zeros((2, 4))
    assert_allclose(cb.softmax_cross_entropy(logits, [0, 3]), np.log(4))
    assert_allclose(cb.softmax_cross_entropy(logits, [0, 3], reduction="sum"), 2 * np.log(4))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_gradient_is_p_minus_t(reduction, rng):
    logits, labels = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    grad = cb.softmax_cross_entropy_backward(1.0, logits, labels, reduction)
    num = cb.numerical_gradient(lambda z: cb.softmax_cross_entropy(z, labels, reduction), logits)
    assert_allclose(grad, num, atol=1e-8)
    t = np.eye(3)[labels]
    scale = 1 / 5 if reduction == "mean" else 1
    assert_allclose(grad, (cb.softmax(logits) - t) * scale, atol=1e-15)
    # dout first, a number defaulting to 1: E is a scalar, so dout = ∂(objective)/∂E scales δ
    assert_array_equal(cb.softmax_cross_entropy_backward(logits=logits, targets=labels, reduction=reduction), grad)
    assert_allclose(cb.softmax_cross_entropy_backward(-2.5, logits, labels, reduction), -2.5 * grad, rtol=1e-15)
    assert_allclose(cb.softmax_cross_entropy_backward(np.array(3.0), logits, labels, reduction), 3 * grad, rtol=1e-15)
    num3 = cb.numerical_gradient(lambda z: cb.softmax_cross_entropy(z, labels, reduction), logits, 3.0)
    assert_allclose(cb.softmax_cross_entropy_backward(3.0, logits, labels, reduction), num3, atol=1e-8)


def test_cross_entropy_accepts_probability_targets(rng):
    logits, labels = rng.normal(size=(4, 3)), np.array([2, 0, 1, 1])
    assert_allclose(cb.softmax_cross_entropy(logits, np.eye(3)[labels]),
                    cb.softmax_cross_entropy(logits, labels))


@pytest.mark.parametrize("bad, match", [
    (lambda: cb.dense(np.ones((2, 3)), np.ones((4, 5))), r"x has 3 features per row .* w expects 5"),
    (lambda: cb.dense(np.ones(3), np.ones((4, 3))), r"x must be 2-D \(N, D_in\), got shape \(3,\)"),
    (lambda: cb.dense(np.ones((2, 3)), np.ones((4, 3)), np.ones(3)), r"b must have shape \(4,\)"),
    (lambda: cb.dense_backward(np.ones((2, 3)), np.ones((2, 3)), np.ones((4, 3))), r"dout has shape \(2, 3\) but the forward output has shape \(2, 4\)"),
    (lambda: cb.relu_backward(np.ones(3), np.ones(4)), r"dout has shape \(3,\)"),
    (lambda: cb.softmax_cross_entropy(np.zeros((2, 3)), [0, 3]), "target class 3 is out of range for 3 classes"),
    (lambda: cb.softmax_cross_entropy(np.zeros((2, 3)), [0, -1]), "target class -1 is out of range"),
    (lambda: cb.softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2]), "targets has 3 labels but logits has 2 rows"),
    (lambda: cb.softmax_cross_entropy(np.zeros((2, 3)), [0.0, 1.0]), "must be integers"),
    (lambda: cb.softmax_cross_entropy(np.zeros((2, 3)), [0, 1], reduction="avg"), "reduction must be"),
    (lambda: cb.flatten_backward(np.ones((2, 5)), (2, 3, 2)), r"flattened output has shape \(2, 6\)"),
    (lambda: cb.flatten_backward(np.ones((2, 6)), None), "x_shape must be a tuple of non-negative ints .* got None"),
    (lambda: cb.flatten_backward(np.ones((2, 6)), "2,6"), "x_shape must be a tuple .* got '2,6'"),
    (lambda: cb.flatten_backward(np.ones((2, 6)), (2, 6.0)), r"x_shape must be a tuple .* got \(2, 6.0\)"),
    (lambda: cb.flatten_backward(np.ones((2, 6)), ()), r"x_shape must be a tuple .* got \(\)"),
    # the old argument order (logits, targets) is caught, not silently misread
    (lambda: cb.softmax_cross_entropy_backward(np.zeros((2, 3)), [0, 1]),
     r"dout of a loss must be one finite number .* got an array of shape \(2, 3\); the arguments are \(dout, logits, targets\)"),
    (lambda: cb.softmax_cross_entropy_backward(float("nan"), np.zeros((2, 3)), [0, 1]), "dout of a loss must be one finite number .* got nan"),
    (lambda: cb.softmax_cross_entropy_backward(True, np.zeros((2, 3)), [0, 1]), "got True"),
    (lambda: cb.softmax_cross_entropy_backward(1.0, np.zeros((2, 3))), r"needs logits and targets: \(dout, logits, targets\)"),
])
def test_functional_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()
