"""pad2d, rot180, correlate2d / convolve2d, expand_sensitivity."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb


def test_pad2d_pads_only_the_last_two_axes():
    a = np.ones((2, 3, 2, 2))
    out = cb.pad2d(a, (1, 2))
    assert out.shape == (2, 3, 4, 6)
    assert out.sum() == a.sum()
    assert_array_equal(out[:, :, 1:3, 2:4], a)


def test_crop2d_undoes_pad2d(rng):
    a = rng.normal(size=(2, 3, 4, 5))
    assert_array_equal(cb.crop2d(cb.pad2d(a, (2, 1)), (2, 1)), a)
    assert_array_equal(cb.crop2d(a, 0), a)
    with pytest.raises(ValueError, match=r"cannot crop a \(3, 0\) border from an array of shape \(2, 3, 4, 5\)"):
        cb.crop2d(a, (3, 0))


def test_pad2d_fill_value():
    out = cb.pad2d(np.zeros((1, 1)), 1, value=-np.inf)
    assert np.isneginf(out).sum() == 8 and out[1, 1] == 0


def test_rot180_turns_rows_and_columns_not_channels():
    w = np.arange(12.0).reshape(3, 2, 2)
    r = cb.rot180(w)
    assert_array_equal(r[0], [[3, 2], [1, 0]])
    assert_array_equal(r[2], [[11, 10], [9, 8]])  # channel order kept
    assert_array_equal(cb.rot180(r), w)
    # np.rot90 on the whole 3-D filter would flip the channel axis as well
    assert not np.array_equal(np.rot90(w, 2), r)


def test_correlate2d_valid_known_answer():
    a = np.arange(16.0).reshape(4, 4)
    assert_array_equal(cb.correlate2d(a, np.ones((2, 2))),
                       [[10, 14, 18], [26, 30, 34], [42, 46, 50]])
    assert_array_equal(cb.correlate2d(a, [[1, -1]]), -np.ones((4, 3)))


def test_correlate2d_full_known_answer():
    out = cb.correlate2d([[1, 2], [3, 4]], [[1, 0], [0, 1]], mode="full")
    assert_array_equal(out, [[1, 2, 0], [3, 5, 2], [0, 3, 4]])


def test_convolution_flips_the_kernel():
    a = np.arange(9.0).reshape(3, 3)
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_array_equal(cb.convolve2d(a, k), cb.correlate2d(a, cb.rot180(k)))
    # out[0,0] = a00·k11 + a01·k10 + a10·k01 + a11·k00
    assert cb.convolve2d(a, k)[0, 0] == 0 * 4 + 1 * 3 + 3 * 2 + 4 * 1


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.integers(0, 99))
def test_full_convolution_commutes(h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    a, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    assert_allclose(cb.convolve2d(a, k, "full"), cb.convolve2d(k, a, "full"), atol=1e-12)


def test_correlate2d_is_conv2d_on_one_channel(rng):
    a, k = rng.normal(size=(6, 5)), rng.normal(size=(3, 2))
    assert_allclose(cb.correlate2d(a, k), cb.conv2d(a[None, None], k[None, None])[0, 0], atol=1e-12)


def test_expand_sensitivity_inserts_zeros():
    d = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_array_equal(cb.expand_sensitivity(d, 2), [[1, 0, 2], [0, 0, 0], [3, 0, 4]])
    # L - F + 2P = 6 - 3 + 0 = 3 is not a multiple of S = 2: the stride-1 map has 4 rows
    out = cb.expand_sensitivity(d, 2, size=4)
    assert_array_equal(out, [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])
    assert_array_equal(cb.expand_sensitivity(d, (1, 3)), [[1, 0, 0, 2], [3, 0, 0, 4]])


def test_expand_sensitivity_stride_1_is_identity(rng):
    d = rng.normal(size=(2, 3, 4, 5))
    assert_array_equal(cb.expand_sensitivity(d, 1), d)


def test_expand_sensitivity_rejects_a_size_the_stride_cannot_give():
    with pytest.raises(ValueError, match="expands to between 3 and 4 rows, not 6"):
        cb.expand_sensitivity(np.ones((2, 2)), 2, size=(6, 3))


@pytest.mark.parametrize("bad, match", [
    (lambda: cb.correlate2d(np.ones((2, 2)), np.ones((3, 3))), "does not fit"),
    (lambda: cb.correlate2d(np.ones((2, 2)), np.ones((1, 1)), mode="same"), "'valid' or 'full'"),
    (lambda: cb.correlate2d(np.ones((1, 2, 2)), np.ones((1, 1))), "a must be 2-D"),
    (lambda: cb.rot180(np.ones(3)), "at least 2 dimensions"),
    (lambda: cb.pad2d(np.ones((2, 2)), -1), "padding must not be negative, got -1"),
    (lambda: cb.expand_sensitivity(np.ones((2, 2)), 0), "stride must be at least 1, got 0"),
])
def test_primitives_reject_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_conv_matrix_of_seed004_detector():
    """A 2×2 kernel on a 4×4 image: 9 rows of 16, each with the four weights in a 2×2 block."""
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    m = cb.conv_matrix(k, (4, 4))
    assert m.shape == (9, 16)
    assert_array_equal(m[0], [1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert_array_equal(m[4], [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0])
    assert_array_equal(np.sort(m, axis=1)[:, -4:], np.tile([1, 2, 3, 4], (9, 1)))


@given(h=st.integers(1, 6), w=st.integers(1, 6), kh=st.integers(1, 3), kw=st.integers(1, 3),
       s=st.integers(1, 3), p=st.integers(0, 2))
def test_conv_matrix_times_image_is_conv2d(h, w, kh, kw, s, p):
    if h + 2 * p < kh or w + 2 * p < kw:
        return
    rng = np.random.default_rng(h * 100 + w * 10 + kh)
    x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    m = cb.conv_matrix(k, (h, w), stride=s, padding=p)
    y = cb.conv2d(x[None, None], k[None, None], stride=s, padding=p)[0, 0]
    assert m.shape == (y.size, h * w)
    assert_allclose(m @ x.ravel(), y.ravel(), atol=1e-12)
    # its transpose is the backward pass: dx = Mᵀ δ
    delta = rng.normal(size=y.shape)
    dx, _, _ = cb.conv2d_backward(delta[None, None], x[None, None], k[None, None], stride=s,
                                  padding=p)
    assert_allclose(m.T @ delta.ravel(), dx.ravel(), atol=1e-12)


def test_conv_matrix_rejects_a_kernel_that_does_not_fit():
    with pytest.raises(ValueError, match="kernel height 3 does not fit input height 2"):
        cb.conv_matrix(np.ones((3, 3)), (2, 5))
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        cb.conv_matrix(np.ones((1, 3, 3)), (5, 5))
