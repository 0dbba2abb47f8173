"""Convolution as one matrix product: im2col and its adjoint col2im (Caffe layout, seed 000).

``im2col`` copies every window of the padded input into one column::

    X_col[(c, m, n), (b, i, j)] = x_pad[b, c, i·Sh + m, j·Sw + n]

rows run over channel c, kernel row m, kernel column n (C·KH·KW of them), columns
over image b and output position (i, j) (N·OH·OW of them). With the filters as the
rows of ``K = w.reshape(F, C·KH·KW)``, the convolution is ``Y = K · X_col``.

``col2im`` is the *adjoint* (transpose) of ``im2col``, not its inverse: it adds each
column back into the window it came from, so a pixel that sits in several windows
receives the sum of their entries. ``col2im(im2col(x))`` is therefore ``x`` times the
participation count of each pixel (``participation_counts``), not ``x``. That sum is
exactly what backpropagation needs: ``dx = col2im(Kᵀ · δ_col)``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .primitives import crop2d, pad2d
from .shapes import _check_kernel, _check_padding, _check_stride, as_array, output_shape, pair

__all__ = ["im2col", "col2im", "participation_counts"]


def _geometry(hw, kernel_size, stride, padding):
    k, s, p = _check_kernel(kernel_size), _check_stride(stride), _check_padding(padding)
    return k, s, p, output_shape(hw, k, s, p)


def windows(x_pad, kernel_size, stride):
    """Read-only view ``v[b, c, i, j, m, n] = x_pad[b, c, i·Sh + m, j·Sw + n]`` (no copy)."""
    kh, kw = kernel_size
    sh, sw = stride
    return sliding_window_view(x_pad, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]


def im2col(x, kernel_size, stride=1, padding=0):
    """Unfold ``x`` (N, C, H, W) into ``X_col`` of shape (C·KH·KW, N·OH·OW).

    ``X_col[(c, m, n), (b, i, j)] = x_pad[b, c, i·Sh + m, j·Sw + n]`` (see the module
    docstring); then ``conv2d(x, w) == (w.reshape(F, -1) @ X_col)`` reshaped to
    (F, N, OH, OW) and transposed to (N, F, OH, OW).
    """
    x = as_array(x, "x", 4, "(N, C, H, W)")
    k, s, p, (OH, OW) = _geometry(x.shape[2:], kernel_size, stride, padding)
    N, C = x.shape[:2]
    v = windows(pad2d(x, p), k, s)  # (N, C, OH, OW, KH, KW)
    return v.transpose(1, 4, 5, 0, 2, 3).reshape(C * k[0] * k[1], N * OH * OW)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    """Adjoint of ``im2col``: add every column back into its window; return (N, C, H, W).

    ``dx_pad[b, c, i·Sh + m, j·Sw + n] += cols[(c, m, n), (b, i, j)]`` for every entry,
    then the padding border is cropped away. Overlapping windows *accumulate*; for
    all ``x``, ``c``: ``<im2col(x), c> == <x, col2im(c)>`` (that is what adjoint means).
    """
    x_shape = tuple(int(d) for d in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be (N, C, H, W), got {x_shape}")
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw), (OH, OW) = _geometry((H, W), kernel_size, stride, padding)
    cols = as_array(cols, "cols", 2, "(C·KH·KW, N·OH·OW)")
    expected = (C * kh * kw, N * OH * OW)
    if cols.shape != expected:
        raise ValueError(
            f"cols has shape {cols.shape} but im2col of an input {x_shape} gives {expected}"
        )
    c6 = cols.reshape(C, kh, kw, N, OH, OW).transpose(1, 2, 3, 0, 4, 5)  # (KH, KW, N, C, OH, OW)
    return add_windows(lambda m, n: c6[m, n], x_shape, (kh, kw), (sh, sw), (ph, pw), (OH, OW))


def add_windows(per_offset, x_shape, kernel_size, stride, padding, out_hw):
    """Add window-shaped values back onto the input grid, then crop the padding.

    ``per_offset(m, n)`` gives the (N, C, OH, OW) values that kernel offset (m, n) of
    every window sends to ``x_pad[:, :, i·Sh + m, j·Sw + n]``. Overlaps accumulate.
    One vectorised add per offset: KH·KW adds, not N·C·OH·OW. Shared by ``col2im``
    and the pooling backward passes.
    """
    N, C, H, W = x_shape
    (kh, kw), (ph, pw) = kernel_size, padding
    out = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    for m in range(kh):
        for n in range(kw):
            out[offset_slices(m, n, stride, out_hw)] += per_offset(m, n)
    return crop2d(out, padding)


def offset_slices(m, n, stride, out_hw):
    """Index of ``x_pad[:, :, i·Sh + m, j·Sw + n]`` for all output positions (i, j) at once.

    ``x_pad[offset_slices(m, n, ...)]`` is an (N, C, OH, OW) view: kernel offset (m, n)
    of every window. Looping over the KH·KW offsets visits every window cell.
    """
    (sh, sw), (OH, OW) = stride, out_hw
    return (slice(None), slice(None),
            slice(m, m + sh * (OH - 1) + 1, sh), slice(n, n + sw * (OW - 1) + 1, sw))


def participation_counts(input_size, kernel_size, stride=1, padding=0):
    """How many windows cover each input pixel: ``col2im(im2col-shaped ones)``.

    ``input_size = (H, W)`` (or one int for a square). A 4×4 input with a 2×2 kernel
    gives ``[[1,2,2,1],[2,4,4,2],[2,4,4,2],[1,2,2,1]]``. Pixels that no window reaches
    (possible when the stride does not divide ``L - F + 2P``) count 0.
    """
    H, W = pair(input_size, "input_size")
    (kh, kw), s, p, (OH, OW) = _geometry((H, W), kernel_size, stride, padding)
    ones = np.ones((kh * kw, OH * OW))
    return col2im(ones, (1, 1, H, W), (kh, kw), s, p)[0, 0].astype(np.int64)
