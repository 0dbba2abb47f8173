"""Max and average pooling: known answers, ties, overlaps, padding, fast == reference."""
import numpy as np
import pytest
from hypothesis import given
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb
from cnnbook.examples import seed001_relu_maxpool

from .strategies import pool_cases

MAX = (cb.max_pool2d, cb.max_pool2d_backward, cb.max_pool2d_reference, cb.max_pool2d_backward_reference)
AVG = (cb.avg_pool2d, cb.avg_pool2d_backward, cb.avg_pool2d_reference, cb.avg_pool2d_backward_reference)


def _args(case):
    return case["kernel_size"], case["stride"], case["padding"]


def test_max_pool_routes_to_argmax_only():
    x = np.array([[[[1, 3], [2, 0]]]], dtype=float)
    assert_array_equal(cb.max_pool2d(x, 2), [[[[3]]]])
    assert_array_equal(cb.max_pool2d_backward(np.array([[[[5.0]]]]), x, 2), [[[[0, 5], [0, 0]]]])


def test_mean_pool_spreads_evenly():
    x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    assert_array_equal(cb.avg_pool2d(x, 2), [[[[2.5, 4.5], [10.5, 12.5]]]])
    dx = cb.avg_pool2d_backward(np.array([[[[4.0, 8.0], [12.0, 16.0]]]]), x, 2)
    assert_array_equal(dx[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


@pytest.mark.parametrize("backward", [cb.max_pool2d_backward, cb.max_pool2d_backward_reference])
def test_ties_go_to_the_first_maximum_in_row_major_order(backward):
    x = np.array([[[[0, 7], [7, 7]]]], dtype=float)
    assert_array_equal(backward(np.ones((1, 1, 1, 1)), x, 2)[0, 0], [[0, 1], [0, 0]])


@pytest.mark.parametrize("fns", [MAX, AVG], ids=["max", "avg"])
def test_overlapping_windows_accumulate(fns):
    f, fb, _, _ = fns
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre is in all four 2×2 windows, and wins each one
    dx = fb(np.ones((1, 1, 2, 2)), x, 2, stride=1)
    if f is cb.max_pool2d:
        assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0
    else:
        assert_array_equal(dx[0, 0], np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4)


def test_padded_max_pool_never_picks_the_padding():
    x = -np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)  # all negative
    out = cb.max_pool2d(x, 2, stride=2, padding=1)
    assert_array_equal(out[0, 0], [[-1, -2], [-4, -5]])  # zero padding would give 0s
    dx = cb.max_pool2d_backward(np.ones_like(out), x, 2, 2, 1)
    assert_array_equal(dx[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_avg_pool_counts_padding_in_the_divisor():
    x = np.full((1, 1, 2, 2), 4.0)
    out = cb.avg_pool2d(x, 2, stride=1, padding=1)
    assert_array_equal(out[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_uneven_size_uses_floor_and_leaves_edges_without_gradient():
    x = np.random.default_rng(3).normal(size=(1, 1, 5, 5))
    assert cb.max_pool2d(x, 2).shape == (1, 1, 2, 2)
    for fb in (cb.max_pool2d_backward, cb.avg_pool2d_backward):
        dx = fb(np.ones((1, 1, 2, 2)), x, 2)
        assert_array_equal(dx[0, 0, 4, :], 0)
        assert_array_equal(dx[0, 0, :, 4], 0)


def test_seed001_relu_maxpool_chain_known_answer():
    """4×4 input → 2×2 filter → ReLU → 2×2 max pool, with ∂E/∂m11 = 1 (a tie in the pool)."""
    e = seed001_relu_maxpool()
    net = cb.conv2d(e["x"], e["w"], e["b"])
    assert_array_equal(net[0, 0], [[1, 0, -1], [-1, 1, 0], [0, 0, 0]])
    a = cb.relu(net)
    m = cb.max_pool2d(a, 2)
    assert m.shape == (1, 1, 1, 1) and m[0, 0, 0, 0] == 1
    da = cb.max_pool2d_backward(np.ones_like(m), a, 2)  # tie o11 = o22: the first wins
    dnet = cb.relu_backward(da, net)
    assert_array_equal(dnet[0, 0], [[1, 0, 0], [0, 0, 0], [0, 0, 0]])
    dx, dw, db = cb.conv2d_backward(dnet, e["x"], e["w"])
    assert_array_equal(dw[0, 0], [[1, 0], [1, 1]])
    assert_array_equal(db, [1])
    assert_array_equal(dx[0, 0], [[1, -1, 0, 0], [1, -1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("fns", [MAX, AVG], ids=["max", "avg"])
@given(case=pool_cases())
def test_backward_matches_finite_differences(fns, case):
    f, fb, _, _ = fns
    x, dout = case["x"], case["dout"]  # continuous values: no ties, max is differentiable
    args = _args(case)
    num = cb.numerical_gradient(lambda v: f(v, *args), x, dout)
    assert_allclose(fb(dout, x, *args), num, atol=1e-6)


@pytest.mark.parametrize("fns", [MAX, AVG], ids=["max", "avg"])
@given(case=pool_cases(ties=True))
def test_fast_equals_reference_even_with_ties(fns, case):
    f, fb, rf, rb = fns
    x, dout, args = case["x"], case["dout"], _args(case)
    assert_array_equal(f(x, *args), rf(x, *args))
    assert_allclose(fb(dout, x, *args), rb(dout, x, *args), rtol=1e-12, atol=1e-12)


@given(case=pool_cases(ties=True))
def test_max_pool_gradient_mass_is_conserved(case):
    """Every window sends its whole δ to exactly one input cell (never to padding)."""
    x, dout, args = case["x"], case["dout"], _args(case)
    assert_allclose(cb.max_pool2d_backward(dout, x, *args).sum(), dout.sum(), atol=1e-9)


def test_stride_defaults_to_kernel(rng):
    x = rng.normal(size=(2, 3, 6, 6))
    assert_array_equal(cb.max_pool2d(x, 3), cb.max_pool2d(x, 3, stride=3))
    assert_array_equal(cb.avg_pool2d(x, (2, 3)), cb.avg_pool2d(x, (2, 3), stride=(2, 3)))


@given(case=pool_cases())
def test_padded_max_pool_of_negative_input_stays_negative(case):
    """−∞ padding: a window that overlaps the border still returns a real input value."""
    x = -np.abs(case["x"]) - 0.5
    args = _args(case)
    out = cb.max_pool2d(x, *args)
    assert (out <= -0.5).all()
    assert_array_equal(out, cb.max_pool2d_reference(x, *args))
    assert_allclose(cb.max_pool2d_backward(case["dout"], x, *args).sum(), case["dout"].sum(), atol=1e-9)


def test_nan_propagates_and_fast_matches_reference():
    x = np.array([[[[1.0, np.nan, 2.0, 0.0], [np.nan, 5.0, 3.0, 4.0]]]])
    out = cb.max_pool2d(x, 2)
    assert np.isnan(out[0, 0, 0, 0]) and out[0, 0, 0, 1] == 4.0
    dout = np.array([[[[1.0, 2.0]]]])
    assert_array_equal(cb.max_pool2d_backward(dout, x, 2), cb.max_pool2d_backward_reference(dout, x, 2))
    assert_array_equal(cb.max_pool2d_backward(dout, x, 2)[0, 0], [[0, 1, 0, 0], [0, 0, 0, 2]])
