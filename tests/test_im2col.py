"""im2col / col2im in the Caffe layout: known answers, Y = K·X_col, adjointness."""
import numpy as np
import pytest
from hypothesis import given
from numpy.testing import assert_allclose, assert_array_equal

import cnnbook as cb
from cnnbook.examples import grid_0_to_15

from .strategies import conv_cases


def test_grid_0_to_15_columns():
    cols = cb.im2col(grid_0_to_15(), 2)
    assert cols.shape == (4, 9)  # rows C·KH·KW, one column per output position
    assert_array_equal(cols[:, 0], [0, 1, 4, 5])  # the top-left window, row-major
    assert_array_equal(cols[:, 8], [10, 11, 14, 15])
    assert_array_equal(np.ones((1, 4)) @ cols, [[10, 14, 18, 26, 30, 34, 42, 46, 50]])


def test_rows_are_ordered_channel_then_kernel_row_then_column():
    x = np.arange(2 * 3 * 3, dtype=float).reshape(1, 2, 3, 3)
    cols = cb.im2col(x, 2)
    assert_array_equal(cols[:, 0], [0, 1, 3, 4, 9, 10, 12, 13])


def test_columns_are_ordered_image_then_output_row_then_column():
    x = np.arange(2 * 1 * 2 * 3, dtype=float).reshape(2, 1, 2, 3)
    cols = cb.im2col(x, 1)
    assert_array_equal(cols, [np.arange(12.0)])


@given(conv_cases())
def test_conv_is_one_matrix_product(case):
    x, w, s, p = case["x"], case["w"], case["stride"], case["padding"]
    F, N = w.shape[0], x.shape[0]
    y = w.reshape(F, -1) @ cb.im2col(x, w.shape[2:], s, p)
    out = cb.conv2d_reference(x, w, None, s, p)
    assert_allclose(y.reshape(F, N, *out.shape[2:]).transpose(1, 0, 2, 3), out, atol=1e-12)


@given(conv_cases())
def test_col2im_is_the_adjoint_of_im2col(case):
    """<im2col(x), c> = <x, col2im(c)> for every x and c."""
    x, k, s, p = case["x"], case["w"].shape[2:], case["stride"], case["padding"]
    cols = cb.im2col(x, k, s, p)
    c = np.random.default_rng(int(abs(x.sum()) * 1000) % 2**32).normal(size=cols.shape)
    assert_allclose(np.sum(cols * c), np.sum(x * cb.col2im(c, x.shape, k, s, p)), rtol=1e-10, atol=1e-10)


def test_col2im_is_not_the_inverse():
    x = grid_0_to_15()
    back = cb.col2im(cb.im2col(x, 2), x.shape, 2)
    assert not np.array_equal(back, x)
    assert_array_equal(back, x * cb.participation_counts(4, 2))


def test_participation_counts():
    assert_array_equal(cb.participation_counts(4, 2),
                       [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    assert_array_equal(cb.participation_counts((3, 5), (3, 3), padding=1),
                       [[4, 6, 6, 6, 4], [6, 9, 9, 9, 6], [4, 6, 6, 6, 4]])
    assert cb.participation_counts(4, 2, stride=2).max() == 1
    assert cb.participation_counts(5, 2, stride=2)[4].sum() == 0  # never covered


def test_col2im_checks_the_column_shape():
    with pytest.raises(ValueError, match=r"cols has shape \(4, 8\) but im2col of an input \(1, 1, 4, 4\) gives \(4, 9\)"):
        cb.col2im(np.zeros((4, 8)), (1, 1, 4, 4), 2)
