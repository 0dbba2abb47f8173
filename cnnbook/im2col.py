"""Convolution as one matrix product: im2col and its adjoint col2im (Caffe layout, seed 000).

``im2col`` copies every window of the padded input into one column::

    X_col[(c, m, n), (r, u, v)] = x_pad[r, c, u·S + m·R, v·S + n·R]

rows run over channel c, kernel row m, kernel column n (C·KH·KW of them), columns
over sample r and output position (u, v) (N·OH·OW of them); S is the stride, R
the dilation (1 unless given). With the filters as the
rows of ``K = w.reshape(F, C·KH·KW)``, the convolution is ``Y = K · X_col``.

``col2im`` is the *adjoint* (transpose) of ``im2col``, not its inverse: it adds each
column back into the window it came from, so a pixel that sits in several windows
receives the sum of their entries. ``col2im(im2col(x))`` is therefore ``x`` times the
participation count of each pixel (``participation_counts``), not ``x``. That sum is
exactly what backpropagation needs: ``dx = col2im(Kᵀ · δ_col)``.

The functions here are fast (they run on the column engine of ``cnnbook._columns``,
which ``conv2d`` uses too); ``cnnbook.reference.im2col_reference`` and
``col2im_reference`` compute the same with loops over the formula above.
"""
from __future__ import annotations

import numpy as np

from ._alloc import zeros as _zeros
from ._columns import ColumnBlocks
from .shapes import (
    check_col2im, check_dilation, check_im2col, check_kernel, check_padding, check_size, check_stride, output_shape,
    pair, show_pair,
)

__all__ = ["im2col", "col2im", "participation_counts"]


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Unfold ``x`` (N, C, H, W) into ``X_col`` of shape (C·KH·KW, N·OH·OW).

    ``X_col[(c, m, n), (r, u, v)] = x_pad[r, c, u·S + m·R, v·S + n·R]`` (see the module
    docstring); then ``conv2d(x, w) == (w.reshape(F, -1) @ X_col)`` reshaped to
    (F, N, OH, OW) and transposed to (N, F, OH, OW).
    """
    x, k, s, p, d, _ = check_im2col(x, kernel_size, stride, padding, dilation)
    blocks = ColumnBlocks(x, k, s, p, block_images=len(x), dilation=d)
    X = blocks.fill(0, len(x))  # (N, C·KH·KW, OH·OW): the columns image by image
    return np.ascontiguousarray(X.transpose(1, 0, 2)).reshape(X.shape[1], -1)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Adjoint of ``im2col``: add every column back into its window; return (N, C, H, W).

    ``dx_pad[r, c, u·S + m·R, v·S + n·R] += cols[(c, m, n), (r, u, v)]`` for every entry,
    then the padding border is cropped away. Overlapping windows *accumulate*; for
    all ``x``, ``c``: ``<im2col(x), c> == <x, col2im(c)>`` (that is what adjoint means).
    """
    cols, x_shape, k, s, p, d, _ = check_col2im(cols, x_shape, kernel_size, stride, padding, dilation)
    N = x_shape[0]
    blocks = ColumnBlocks(None, k, s, p, x_shape=x_shape, dilation=d)
    dx = _zeros(x_shape)
    blocks.add_columns(dx, cols.reshape(len(cols), N, -1).transpose(1, 0, 2), 0, N)
    return dx


def participation_counts(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """How many windows cover each input pixel: ``col2im(im2col-shaped ones)``.

    ``input_size = (H, W)`` (or one int for a square). A 4×4 input with a 2×2 kernel
    gives ``[[1,2,2,1],[2,4,4,2],[2,4,4,2],[1,2,2,1]]``. Pixels that no window reaches
    (possible when the stride does not divide ``L − K + 2P``) count 0.

    It is also how many (input cell, kernel tap) pairs of a transposed convolution
    with the same kernel, stride, padding and dilation paint each cell of an output of
    this size: where the stride does not divide the kernel the counts alternate, the
    checkerboard of transposed-convolution upsampling.
    """
    H, W = pair(input_size, "input_size")
    (kh, kw), s, p = check_kernel(kernel_size), check_stride(stride), check_padding(padding)
    d = check_dilation(dilation)
    OH, OW = output_shape((H, W), (kh, kw), s, p, d)
    check_size((kh * kw, OH * OW), "columns", f"padding {show_pair(p)}" if any(p) else f"input_size {(H, W)}")
    ones = np.ones((kh * kw, OH * OW))
    return col2im(ones, (1, 1, H, W), (kh, kw), s, p, d)[0, 0].astype(np.int64)
