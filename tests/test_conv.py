"""conv2d and conv2d_backward: known answers, finite differences, fast == reference."""
import numpy as np
import pytest
from hypothesis import given
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb
from cnnbook.examples import grid_0_to_15, seed001_stride2, seed004_image

from .strategies import conv_cases


# --- known answers -------------------------------------------------------------------

def test_seed001_forward_matches_printed_output():
    e = seed001_stride2()
    for conv in (cb.conv2d, cb.conv2d_reference):
        out = conv(e["x"], e["w"], e["b"], stride=e["stride"], padding=e["padding"])
        assert_array_equal(out, e["printed_forward"])


SEED001_DW = np.array([
    [[[8, 10, 9], [5, 6, 6], [6, 5, 4]], [[4, 1, 4], [10, 9, 12], [2, 2, 2]],
     [[2, 2, 3], [5, 8, 5], [7, 8, 7]]],
    [[[2, 2, 1], [4, 7, 3], [4, 4, 2]], [[0, 1, 0], [9, 5, 4], [4, 0, 0]],
     [[4, 6, 5], [2, 5, 2], [2, 1, 0]]],
], dtype=float)
SEED001_DX = np.array([[
    [[-1, 1, 1, -2, -1], [1, -1, 3, -1, 1], [2, 0, 2, 0, 2], [4, 3, 4, 1, 3], [0, -1, -2, 1, -1]],
    [[0, -1, 0, -2, 0], [-1, -2, -3, -4, -1], [0, 0, 0, 0, 0], [-2, 0, 0, 0, -1], [0, -3, 0, -3, 0]],
    [[0, 1, 1, -2, 1], [0, -1, -1, -4, -1], [2, 0, 2, 0, 2], [-2, -3, -2, -1, -2], [1, -1, 0, 1, 0]],
]], dtype=float)


@pytest.mark.parametrize("backward", [cb.conv2d_backward, cb.conv2d_backward_reference])
def test_seed001_backward_known_answer(backward):
    e = seed001_stride2()
    dx, dw, db = backward(e["delta"], e["x"], e["w"], stride=2, padding=1)
    assert_array_equal(dw, SEED001_DW)
    assert_array_equal(db, [9, 7])
    assert_array_equal(dx, SEED001_DX)


def test_seed001_sgd_step_matches_printed_filters():
    """The seed prints W − 0.001·dW after one update; our dW reproduces it."""
    e = seed001_stride2()
    _, dw, db = cb.conv2d_backward(e["delta"], e["x"], e["w"], stride=2, padding=1)
    w_new, b_new = e["w"] - e["lr"] * dw, e["b"] - e["lr"] * db
    printed_filter1_row0 = [[-1.008, 0.99, -0.009], [-0.005, 0.994, -0.006], [-0.006, 0.995, 0.996]]
    printed_filter2_ch2 = [[-1.004, -0.006, -0.005], [-1.002, -0.005, 0.998], [-1.002, -0.001, 0.0]]
    assert_allclose(w_new[0, 0], printed_filter1_row0, atol=1e-12)
    assert_allclose(w_new[1, 2], printed_filter2_ch2, atol=1e-12)
    assert_allclose(b_new, [0.991, -0.007], atol=1e-12)


def test_seed004_stride_1_and_2_forward():
    e = seed004_image()
    assert_array_equal(cb.conv2d(e["x"], e["w"])[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert_array_equal(cb.conv2d(e["x"], e["w"], stride=2)[0, 0], [[4, 4], [2, 4]])


@pytest.mark.parametrize("backward", [cb.conv2d_backward, cb.conv2d_backward_reference])
def test_seed004_stride2_backward_and_expansion(backward):
    e = seed004_image()
    delta = np.array([[[[1, 2], [3, 4]]]], dtype=float)
    dx, dw, db = backward(delta, e["x"], e["w"], stride=2)
    assert_array_equal(dx[0, 0], [[1, 0, 3, 0, 2], [0, 1, 0, 2, 0], [4, 0, 10, 0, 6],
                                  [0, 3, 0, 4, 0], [3, 0, 7, 0, 4]])
    assert_array_equal(dw[0, 0], [[7, 5, 8], [6, 7, 4], [6, 5, 6]])
    assert_array_equal(db, [10])
    # the same δ expanded with zeros, pushed through the stride-1 rules, gives the same
    expanded = cb.expand_sensitivity(delta, 2, (3, 3))
    assert_array_equal(expanded[0, 0], [[1, 0, 2], [0, 0, 0], [3, 0, 4]])
    for got, want in zip(backward(expanded, e["x"], e["w"], stride=1), (dx, dw, db)):
        assert_array_equal(got, want)


def test_seed004_stride1_weight_gradient():
    e = seed004_image()
    delta = np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
    _, dw, db = cb.conv2d_backward(delta, e["x"], e["w"])
    assert_array_equal(dw[0, 0], [[26, 35, 34], [20, 34, 33], [26, 31, 22]])
    assert_array_equal(db, [45])


def test_all_ones_kernel_on_0_to_15_grid():
    x, w = grid_0_to_15(), np.ones((1, 1, 2, 2))
    assert_array_equal(cb.conv2d(x, w).ravel(), [10, 14, 18, 26, 30, 34, 42, 46, 50])
    dx, dw, db = cb.conv2d_backward(np.ones((1, 1, 3, 3)), x, w)
    assert_array_equal(dw[0, 0], [[45, 54], [81, 90]])
    assert_array_equal(dx[0, 0], cb.participation_counts(4, 2))
    assert_array_equal(db, [9])


def test_rows_no_window_covers_get_zero_gradient():
    """L=6, F=3, S=2: (6-3)/2 = 1.5 → 2 outputs; the last input row is never read."""
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 1, 6, 6)), rng.normal(size=(1, 1, 3, 3))
    out = cb.conv2d(x, w, stride=2)
    assert out.shape == (1, 1, 2, 2)
    dx, _, _ = cb.conv2d_backward(np.ones_like(out), x, w, stride=2)
    counts = cb.participation_counts(6, 3, stride=2)
    assert_array_equal(counts[5, :], 0)
    assert_array_equal(counts[:, 5], 0)
    assert (counts[:5, :5] > 0).all()
    assert_array_equal(dx[0, 0][counts == 0], 0)
    assert_allclose(dx, cb.conv2d_backward_reference(np.ones_like(out), x, w, stride=2)[0])


def test_no_bias_means_zero_bias(rng):
    x, w = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 2))
    assert_allclose(cb.conv2d(x, w), cb.conv2d(x, w, np.zeros(4)))


def test_single_pixel_kernel_is_a_channel_mix(rng):
    """A 1×1 conv is a dense layer applied at every pixel."""
    x, w = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(6, 3, 1, 1))
    assert_allclose(cb.conv2d(x, w), np.einsum("fc,nchw->nfhw", w[:, :, 0, 0], x))


def test_accepts_integer_lists():
    out = cb.conv2d([[[[1, 2], [3, 4]]]], [[[[1]]]])
    assert out.dtype == np.float64
    assert_array_equal(out, [[[[1, 2], [3, 4]]]])


def test_empty_batch(rng):
    x, w = np.zeros((0, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    assert cb.conv2d(x, w).shape == (0, 3, 3, 3)
    dx, dw, db = cb.conv2d_backward(np.zeros((0, 3, 3, 3)), x, w)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (3,)
    assert not dw.any() and not db.any()


# --- finite differences and the two implementations ------------------------------------

@given(conv_cases(max_kernel=4))
def test_conv2d_backward_matches_finite_differences(case):
    x, w, b, dout, s, p = (case[k] for k in ("x", "w", "b", "dout", "stride", "padding"))
    dx, dw, db = cb.conv2d_backward(dout, x, w, s, p)
    assert_allclose(dx, cb.numerical_gradient(lambda v: cb.conv2d(v, w, b, s, p), x, dout), atol=1e-6)
    assert_allclose(dw, cb.numerical_gradient(lambda v: cb.conv2d(x, v, b, s, p), w, dout), atol=1e-6)
    assert_allclose(db, cb.numerical_gradient(lambda v: cb.conv2d(x, w, v, s, p), b, dout), atol=1e-6)


@given(conv_cases())
def test_fast_equals_reference(case):
    x, w, b, dout, s, p = (case[k] for k in ("x", "w", "b", "dout", "stride", "padding"))
    assert_allclose(cb.conv2d(x, w, b, s, p), cb.conv2d_reference(x, w, b, s, p), rtol=1e-12, atol=1e-12)
    fast = cb.conv2d_backward(dout, x, w, s, p)
    ref = cb.conv2d_backward_reference(dout, x, w, s, p)
    for got, want in zip(fast, ref):
        assert got.shape == want.shape
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(conv_cases())
def test_output_shape_follows_the_floor_formula(case):
    x, w, s, p = case["x"], case["w"], case["stride"], case["padding"]
    out = cb.conv2d(x, w, stride=s, padding=p)
    assert out.shape[2] == cb.output_size(x.shape[2], w.shape[2], s[0], p[0])
    assert out.shape[3] == cb.output_size(x.shape[3], w.shape[3], s[1], p[1])
    assert out.shape[:2] == (x.shape[0], w.shape[0])
