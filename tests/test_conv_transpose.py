"""Dilated convolution and the transposed convolution: known answers, output sizes,
finite differences, and the identities that tie them to conv2d's backward pass."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb

from .strategies import conv_cases, conv_transpose_cases

TRANSPOSE_ARGS = ("stride", "padding", "output_padding", "dilation")


def _args(case):
    return [case[k] for k in TRANSPOSE_ARGS]


def _remainder(L, K, S, P, R):
    """Chapter 5's (L − K_R + 2P) mod S, the rows a stride-S window never reaches, K_R = R(K − 1) + 1."""
    return (L + 2 * P - R * (K - 1) - 1) % S


# --- known answers -----------------------------------------------------------------------

def test_transposed_conv_paints_the_kernel_at_every_input_cell():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    ones = np.ones((1, 1, 2, 2))
    for f in (cb.conv_transpose2d, cb.conv_transpose2d_reference):
        # stride 2, kernel 2: the patches tile the output, each input cell a 2×2 block
        assert_array_equal(f(x, ones, stride=2)[0, 0],
                           [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
        # stride 1: the patches overlap and add up
        assert_array_equal(f(x, ones)[0, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])
        # padding 1 cuts one cell from each side of that 3×3
        assert_array_equal(f(x, ones, padding=1)[0, 0], [[10]])
        # output_padding 1 with stride 2 adds one row and column no patch reaches: only b
        assert_array_equal(f(x, ones, [0.5], stride=2, output_padding=1)[0, 0, 4], [0.5] * 5)


def test_transposed_conv_kernel_entries_and_channels():
    """w[c, o] is the patch input channel c paints onto output channel o."""
    x = np.zeros((1, 2, 2, 2))
    x[0, 1, 1, 0] = 2.0  # one cell of channel 1
    w = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    out = cb.conv_transpose2d(x, w, stride=1)
    assert out.shape == (1, 3, 3, 3)
    for o in range(3):
        want = np.zeros((3, 3))
        want[1:3, 0:2] = 2.0 * w[1, o]
        assert_array_equal(out[0, o], want)


def test_dilated_conv_on_the_0_to_24_grid():
    """A 2×2 kernel of ones with dilation 2 adds the four corners of a 3×3 window."""
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    ones = np.ones((1, 1, 2, 2))
    want = [[x[0, 0, i, j] + x[0, 0, i, j + 2] + x[0, 0, i + 2, j] + x[0, 0, i + 2, j + 2]
             for j in range(3)] for i in range(3)]
    for f in (cb.conv2d, cb.conv2d_reference):
        assert_array_equal(f(x, ones, dilation=2)[0, 0], want)
        # the same as the ordinary convolution with the dilated kernel
        assert_array_equal(f(x, ones, dilation=2), f(x, cb.dilate2d(ones, 2)))


def test_dilated_conv_gradient_known_answer():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    w = np.array([[[[1.0, -1.0], [2.0, 0.5]]]])
    dout = np.ones((1, 1, 3, 3))
    for backward in (cb.conv2d_backward, cb.conv2d_backward_reference):
        dx, dw, db = backward(dout, x, w, dilation=2)
        # dW[m, n] = Σ over the 3×3 outputs of x[u + 2m, v + 2n]
        assert_array_equal(dw[0, 0], [[x[0, 0, 0:3, 0:3].sum(), x[0, 0, 0:3, 2:5].sum()],
                                      [x[0, 0, 2:5, 0:3].sum(), x[0, 0, 2:5, 2:5].sum()]])
        assert_array_equal(db, [9.0])
        assert_array_equal(dx[0, 0], cb.conv_transpose2d(dout, w, dilation=2)[0, 0])
        assert dx[0, 0, 2, 2] == w.sum()  # the centre is in every tap's reach once


def test_dilate2d():
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_array_equal(cb.dilate2d(k, 2), [[1, 0, 2], [0, 0, 0], [3, 0, 4]])
    assert_array_equal(cb.dilate2d(k, (1, 3)), [[1, 0, 0, 2], [3, 0, 0, 4]])
    assert_array_equal(cb.dilate2d(k, 1), k)
    # the zero-filled δ of a stride-2 layer is a dilated map
    delta = np.arange(1.0, 7.0).reshape(2, 3)
    assert_array_equal(cb.dilate2d(delta, 2), cb.expand_sensitivity(delta, 2))


# --- output sizes -------------------------------------------------------------------------

def test_output_size_with_dilation():
    assert cb.output_size(7, 3, dilation=2) == 3          # the kernel spans 5 cells
    assert cb.output_size(7, 3, stride=2, padding=1, dilation=3) == 2  # ⌊(7 + 2 − 7)/2⌋ + 1
    assert cb.output_size(5, 3, dilation=1) == cb.output_size(5, 3) == 3


def test_transposed_output_size_formula():
    # O = (L − 1)S − 2P + R(K − 1) + output_padding + 1
    assert cb.transposed_output_size(3, 3, stride=2, padding=1) == 5
    assert cb.transposed_output_size(3, 3, stride=2, padding=1, output_padding=1) == 6
    assert cb.transposed_output_size(4, 2, stride=2) == 8
    assert cb.transposed_output_size(2, 3, dilation=2) == 6
    assert cb.transposed_output_size(2, 3, dilation=3, output_padding=2) == 10  # op < R is allowed


@given(st.integers(1, 12), st.integers(1, 4), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_transposed_output_size_undoes_output_size(L, K, S, P, R):
    """The transposed convolution gives back L when output_padding is chapter 5's remainder."""
    if L + 2 * P < R * (K - 1) + 1:
        return
    O = cb.output_size(L, K, S, P, R)
    assert cb.transposed_output_size(O, K, S, P, _remainder(L, K, S, P, R), R) == L


# --- finite differences -------------------------------------------------------------------

@given(conv_cases(max_kernel=3, max_dilation=3))
def test_dilated_conv2d_backward_matches_finite_differences(case):
    x, w, b, dout, s, p, d = (case[k] for k in ("x", "w", "b", "dout", "stride", "padding", "dilation"))
    dx, dw, db = cb.conv2d_backward(dout, x, w, s, p, d)
    assert_allclose(dx, cb.numerical_gradient(lambda v: cb.conv2d(v, w, b, s, p, d), x, dout), atol=1e-6)
    assert_allclose(dw, cb.numerical_gradient(lambda v: cb.conv2d(x, v, b, s, p, d), w, dout), atol=1e-6)
    assert_allclose(db, cb.numerical_gradient(lambda v: cb.conv2d(x, w, v, s, p, d), b, dout), atol=1e-6)


@given(conv_transpose_cases(max_kernel=3))
def test_conv_transpose2d_backward_matches_finite_differences(case):
    x, w, b, dout, a = case["x"], case["w"], case["b"], case["dout"], _args(case)
    dx, dw, db = cb.conv_transpose2d_backward(dout, x, w, *a)
    assert_allclose(dx, cb.numerical_gradient(lambda v: cb.conv_transpose2d(v, w, b, *a), x, dout), atol=1e-6)
    assert_allclose(dw, cb.numerical_gradient(lambda v: cb.conv_transpose2d(x, v, b, *a), w, dout), atol=1e-6)
    assert_allclose(db, cb.numerical_gradient(lambda v: cb.conv_transpose2d(x, w, v, *a), b, dout), atol=1e-6)


# --- the two implementations and the identities --------------------------------------------

@given(conv_transpose_cases())
def test_conv_transpose_fast_equals_reference(case):
    x, w, b, dout, a = case["x"], case["w"], case["b"], case["dout"], _args(case)
    out = cb.conv_transpose2d(x, w, b, *a)
    assert out.shape == (x.shape[0], w.shape[1]) + case["out_hw"]
    assert_allclose(out, cb.conv_transpose2d_reference(x, w, b, *a), rtol=1e-12, atol=1e-12)
    for got, want in zip(cb.conv_transpose2d_backward(dout, x, w, *a),
                         cb.conv_transpose2d_backward_reference(dout, x, w, *a)):
        assert got.shape == want.shape
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(conv_cases(max_dilation=3))
def test_dilated_conv_fast_equals_reference(case):
    x, w, b, dout, s, p, d = (case[k] for k in ("x", "w", "b", "dout", "stride", "padding", "dilation"))
    assert_allclose(cb.conv2d(x, w, b, s, p, d), cb.conv2d_reference(x, w, b, s, p, d), rtol=1e-12, atol=1e-12)
    for got, want in zip(cb.conv2d_backward(dout, x, w, s, p, d), cb.conv2d_backward_reference(dout, x, w, s, p, d)):
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _transpose_args(case):
    """stride, padding, output_padding, dilation of the transposed convolution that maps a
    conv2d case's output back to the size of its input."""
    (H, W), k, s, p, d = case["x"].shape[2:], case["w"].shape[2:], case["stride"], case["padding"], case["dilation"]
    op = (_remainder(H, k[0], s[0], p[0], d[0]), _remainder(W, k[1], s[1], p[1], d[1]))
    return s, p, op, d


@given(conv_cases(max_dilation=3))
def test_conv_transpose_is_the_adjoint_of_conv(case):
    """⟨conv2d(x), y⟩ = ⟨x, conv_transpose2d(y)⟩ for every x and y: the matrix Mᵀ."""
    x, w = case["x"], case["w"]
    s, p, op, d = _transpose_args(case)
    y = case["dout"]
    lhs = np.sum(cb.conv2d(x, w, None, s, p, d) * y)
    back = cb.conv_transpose2d(y, w, None, s, p, op, d)
    assert back.shape == x.shape
    assert_allclose(lhs, np.sum(x * back), rtol=1e-10, atol=1e-10)


@given(conv_cases(max_dilation=3))
def test_conv2d_backward_dx_is_a_transposed_convolution(case):
    """dx = conv_transpose2d(δ, W, stride=S, padding=P, output_padding=(L − K_R + 2P) mod S, dilation=R)."""
    x, w, dout = case["x"], case["w"], case["dout"]
    s, p, op, d = _transpose_args(case)
    dx, dw, _ = cb.conv2d_backward(dout, x, w, s, p, d)
    assert_allclose(dx, cb.conv_transpose2d(dout, w, None, s, p, op, d), rtol=1e-12, atol=1e-12)
    # and backwards: the transposed convolution's gradients are the convolution's forward
    # (dx) and weight gradient, with the roles of x and δ exchanged
    tdx, tdw, _ = cb.conv_transpose2d_backward(x, dout, w, s, p, op, d)
    assert_allclose(tdx, cb.conv2d(x, w, None, s, p, d), rtol=1e-12, atol=1e-12)
    assert_allclose(tdw, dw, rtol=1e-12, atol=1e-12)


def test_conv_matrix_transpose_is_conv_transpose():
    """Chapter 1's matrix M: Mᵀ δ is the transposed convolution of δ."""
    rng = np.random.default_rng(3)
    k = rng.normal(size=(3, 3))
    M = cb.conv_matrix(k, (7, 7), stride=2, padding=1)  # 7×7 → 4×4: ⌊(7 − 3 + 2)/2⌋ + 1 = 4
    delta = rng.normal(size=(4, 4))
    op = _remainder(7, 3, 2, 1, 1)
    got = cb.conv_transpose2d(delta[None, None], k[None, None], stride=2, padding=1, output_padding=op)
    assert_allclose(got[0, 0].ravel(), M.T @ delta.ravel(), rtol=1e-12, atol=1e-12)


# --- bad input ------------------------------------------------------------------------------

X = np.ones((1, 2, 3, 3))
W = np.ones((2, 4, 3, 3))

BAD = [
    (lambda: cb.conv_transpose2d(X, W, stride=2, output_padding=2),
     "output_padding 2 must be smaller than the stride 2 or the dilation 1"),
    (lambda: cb.conv_transpose2d(X, W, output_padding=1), "output_padding 1 must be smaller than the stride 1 or the dilation 1"),
    (lambda: cb.conv_transpose2d(X, W, stride=(2, 1), output_padding=(1, 1)),
     "output_padding 1 must be smaller than the stride 1 or the dilation 1 along the width"),
    (lambda: cb.conv_transpose2d(X, W, output_padding=-1), "output_padding must not be negative, got -1"),
    (lambda: cb.conv_transpose2d(X, W, padding=3),
     r"transposed convolution output height .* = \(3 − 1\)·1 − 2·3 \+ 1·\(3 − 1\) \+ 0 \+ 1 = -1 is not positive: padding 3 is too large"),
    (lambda: cb.conv_transpose2d(np.ones((1, 3, 3, 3)), W), r"x has 3 channels .* but w has C_in = 2 \(w.shape = \(C_in, C_out, KH, KW\) = \(2, 4, 3, 3\)\)"),
    (lambda: cb.conv_transpose2d(X, W, np.ones(2)), r"b must have shape \(4,\), one bias per output channel, got shape \(2,\)"),
    (lambda: cb.conv_transpose2d(X, W, dilation=0), "dilation must be at least 1, got 0"),
    (lambda: cb.conv_transpose2d(X, W, stride=1.5), "stride must be an int or an"),
    (lambda: cb.conv_transpose2d(X, np.ones((2, 4, 3))), r"w must be 4-D \(C_in, C_out, KH, KW\)"),
    (lambda: cb.conv_transpose2d_backward(np.ones((1, 4, 4, 4)), X, W), r"dout has shape \(1, 4, 4, 4\) but the forward output has shape \(1, 4, 5, 5\)"),
    (lambda: cb.conv_transpose2d_reference(X, W, stride=3, output_padding=(0, 3)), "output_padding 3 must be smaller than the stride 3"),
    (lambda: cb.conv_transpose2d_backward_reference(np.ones((1, 4, 4, 4)), X, W), r"dout has shape \(1, 4, 4, 4\)"),
    (lambda: cb.conv_transpose2d(X, W, stride=10**7), r"stride 10000000, dilation 1 and kernel \(3, 3\) on x of shape \(1, 2, 3, 3\) needs an output"),
    (lambda: cb.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), dilation=2),
     r"kernel height 3 with dilation 2 spans 2·\(3 − 1\) \+ 1 = 5 cells and does not fit input height 4 \+ 2·0 padding"),
    (lambda: cb.conv2d(X, np.ones((1, 2, 2, 2)), dilation=(1, 0)), r"dilation must be at least 1, got \(1, 0\)"),
    (lambda: cb.conv2d_reference(X, np.ones((1, 2, 2, 2)), dilation=3), "kernel height 2 with dilation 3 spans"),
    (lambda: cb.output_size(4, 3, dilation=2), "kernel 3 with dilation 2 spans 2·\\(3 − 1\\) \\+ 1 = 5 cells and does not fit input 4"),
    (lambda: cb.transposed_output_size(3, 3, stride=2, output_padding=2), "output_padding 2 must be smaller than the stride 2 or the dilation 1"),
    (lambda: cb.transposed_output_size(1, 1, padding=1), "is not positive: padding 1 is too large"),
    (lambda: cb.transposed_output_size(3, 3, dilation=0), "dilation must be at least 1, got 0"),
    (lambda: cb.dilate2d(np.ones(3), 2), r"dilate2d needs an array with at least 2 dimensions, got shape \(3,\)"),
]


@pytest.mark.parametrize("call, match", BAD)
def test_bad_input_raises_a_value_error_with_the_numbers(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_inputs_are_never_modified():
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=2)
    dout = rng.normal(size=(2, 2, 10, 11))  # (4 − 1)·2 + 3 + 1, (5 − 1)·2 + 2 + 1
    before = [a.copy() for a in (x, w, b, dout)]
    for f in (cb.conv_transpose2d, cb.conv_transpose2d_reference):
        out = f(x, w, b, 2, 0, 1, 1)
        assert out.shape == dout.shape
    for f in (cb.conv_transpose2d_backward, cb.conv_transpose2d_backward_reference):
        for g in f(dout, x, w, 2, 0, 1, 1):
            assert not any(np.shares_memory(g, a) for a in (x, w, b, dout))
    for a, keep in zip((x, w, b, dout), before):
        assert_array_equal(a, keep)


def test_empty_batch():
    w = np.ones((2, 3, 3, 3))
    out = cb.conv_transpose2d(np.zeros((0, 2, 4, 4)), w, stride=2)
    assert out.shape == (0, 3, 9, 9)
    dx, dw, db = cb.conv_transpose2d_backward(np.zeros(out.shape), np.zeros((0, 2, 4, 4)), w, stride=2)
    assert dx.shape == (0, 2, 4, 4) and not dw.any() and not db.any()


# --- dilation in the teaching functions: im2col, conv_matrix, participation counts ---------

@given(conv_cases(max_dilation=3))
def test_dilated_conv_is_one_matrix_product(case):
    x, w, s, p, d = case["x"], case["w"], case["stride"], case["padding"], case["dilation"]
    F, N = w.shape[0], x.shape[0]
    y = w.reshape(F, -1) @ cb.im2col(x, w.shape[2:], s, p, d)
    out = cb.conv2d_reference(x, w, None, s, p, d)
    assert_allclose(y.reshape(F, N, *out.shape[2:]).transpose(1, 0, 2, 3), out, atol=1e-12)


@pytest.mark.parametrize("L, K, S, P, R", [(7, 3, 1, 0, 2), (8, 2, 2, 1, 3), (6, 3, 2, 2, 2), (5, 1, 3, 0, 1)])
def test_conv_matrix_with_dilation(L, K, S, P, R):
    rng = np.random.default_rng(L * K)
    k, x = rng.normal(size=(K, K)), rng.normal(size=(L, L))
    M = cb.conv_matrix(k, (L, L), S, P, R)
    assert_allclose(M @ x.ravel(), cb.conv2d(x[None, None], k[None, None], None, S, P, R).ravel(), atol=1e-12)
    # and its transpose is the transposed convolution
    delta = rng.normal(size=(cb.output_size(L, K, S, P, R),) * 2)
    back = cb.conv_transpose2d(delta[None, None], k[None, None], None, S, P, _remainder(L, K, S, P, R), R)
    assert_allclose(back.ravel(), M.T @ delta.ravel(), atol=1e-12)


def test_checkerboard_counts_of_a_transposed_convolution():
    """Stride 2, kernel 3: output cells are painted by 1, 2 or 4 (input cell, tap) pairs —
    the participation counts of the convolution it is the transpose of."""
    counts = cb.participation_counts(7, 3, stride=2)
    assert_array_equal(counts[0], [1, 1, 2, 1, 2, 1, 1])
    assert_array_equal(counts[2], [2, 2, 4, 2, 4, 2, 2])
    ones = cb.conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2)
    assert_array_equal(ones[0, 0], counts)
    # kernel 4 (divisible by the stride): every inner cell is painted equally often
    even = cb.participation_counts(8, 4, stride=2, padding=1)
    assert_array_equal(even[1:-1, 1:-1], np.full((6, 6), 4))  # the border: half of that
    assert_array_equal(cb.participation_counts(5, 2, dilation=2)[0], [1, 1, 2, 1, 1])
