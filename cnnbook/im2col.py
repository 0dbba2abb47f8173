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

How the fast ``conv2d`` uses it (``ColumnBlocks``)
-------------------------------------------------
It never holds all N·OH·OW columns at once. It builds the columns of a *block* of a
few images (about 0.5 MB of them), multiplies, and adds back while they are still in
the CPU cache, then reuses the same memory for the next block. The columns are
copied from the input stored channel-major, ``x_cm[c, b, y, v] = x_pad[b, c, y, v]``,
so a block of ``X_col`` is one copy of a strided view of ``x_cm``, and the gradient
is accumulated channel-major too.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._alloc import zeros as _zeros
from .shapes import _check_kernel, _check_padding, _check_stride, as_array, output_shape, pair

__all__ = ["im2col", "col2im", "participation_counts"]

#: Target size in bytes of one block of columns (see the module docstring).
BLOCK_BYTES = 2**19


def _geometry(hw, kernel_size, stride, padding):
    k, s, p = _check_kernel(kernel_size), _check_stride(stride), _check_padding(padding)
    return k, s, p, output_shape(hw, k, s, p)


def padded(x, padding, value=0.0, channel_major=False):
    """``pad2d(x, padding, value)`` for (N, C, H, W), but ``x`` itself when there is no padding.

    The fast functions only read the padded input, so the copy can be skipped. With
    ``channel_major=True`` the result is laid out (C, N, Hp, Wp) instead: a transposed
    view of ``x``, or a copy when there is padding.
    """
    ph, pw = padding
    if channel_major:
        x = x.transpose(1, 0, 2, 3)
    if ph == 0 and pw == 0:
        return x
    A, B, H, W = x.shape
    out = np.full((A, B, H + 2 * ph, W + 2 * pw), value)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


def im2col(x, kernel_size, stride=1, padding=0):
    """Unfold ``x`` (N, C, H, W) into ``X_col`` of shape (C·KH·KW, N·OH·OW).

    ``X_col[(c, m, n), (b, i, j)] = x_pad[b, c, i·Sh + m, j·Sw + n]`` (see the module
    docstring); then ``conv2d(x, w) == (w.reshape(F, -1) @ X_col)`` reshaped to
    (F, N, OH, OW) and transposed to (N, F, OH, OW).
    """
    x = as_array(x, "x", 4, "(N, C, H, W)")
    k, s, p, _ = _geometry(x.shape[2:], kernel_size, stride, padding)
    return ColumnBlocks(x, k, s, p).fill(0, len(x))


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
    (kh, kw), s, p, (OH, OW) = _geometry((H, W), kernel_size, stride, padding)
    cols = as_array(cols, "cols", 2, "(C·KH·KW, N·OH·OW)")
    expected = (C * kh * kw, N * OH * OW)
    if cols.shape != expected:
        raise ValueError(
            f"cols has shape {cols.shape} but im2col of an input {x_shape} gives {expected}"
        )
    blocks = ColumnBlocks(None, (kh, kw), s, p, x_shape=x_shape)
    dx = blocks.new_gradient()
    blocks.add_columns(dx, cols, 0, N)
    return blocks.gradient(dx)


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


# --- im2col a block of images at a time, as conv2d uses it --------------------------------

class ColumnBlocks:
    """``im2col`` of ``x`` a block of images at a time, and ``col2im`` for ``dx``.

    For images ``b0 ≤ b < b1`` the block of columns is (``fill``)::

        X[(c, m, n), (b − b0, i, j)] = x_cm[c, b, i·Sh + m, j·Sw + n]

    that is, columns b0·OH·OW … b1·OH·OW of ``im2col(x)``. ``outputs`` finds the
    (b1 − b0, F, OH, OW) outputs in ``Y = K · X``; ``deltas`` lays out the block's δ
    like ``Y``; ``add_back`` adds ``col2im(Kᵀ · D)`` of the block into the accumulator
    that ``new_gradient`` makes and ``gradient`` turns into ``dx``. ``fill`` and
    ``deltas`` return matrices in scratch memory of this object, reused by the next
    block. Arguments are already checked: ``x`` float64 (N, C, H, W), the rest pairs.
    """

    def __init__(self, x, kernel_size, stride, padding, x_shape=None):
        self.x_shape = N, C, H, W = x.shape if x is not None else x_shape
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        (kh, kw), (ph, pw) = kernel_size, padding
        self.padded_hw = (H + 2 * ph, W + 2 * pw)
        self.out_hw = OH, OW = output_shape((H, W), kernel_size, stride, padding)
        self.rows = C * kh * kw
        self.per_image = OH * OW  # columns per image
        # images per block: as many as fit in BLOCK_BYTES of columns, at least 1
        self.block_images = max(1, min(N, BLOCK_BYTES // max(8 * self.rows * self.per_image, 1)))
        self._scratch = {}
        if x is not None:
            x_cm = padded(x, padding, channel_major=True)  # (C, N, Hp, Wp)
            v = sliding_window_view(x_cm, kernel_size, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
            self._windows = v.transpose(0, 4, 5, 1, 2, 3)  # (C, KH, KW, N, OH, OW), a view

    def blocks(self):
        """``(b0, b1)`` for each block of images, in order."""
        N, step = self.x_shape[0], self.block_images
        return [(b0, min(b0 + step, N)) for b0 in range(0, N, step)]

    def _matrix(self, name, rows, columns, zeros=False):
        """A (rows, columns) matrix in scratch memory ``name``, kept for the next block
        (filled with zeros when it is first made, if ``zeros``)."""
        buf = self._scratch.get(name)
        if buf is None or buf.size < rows * columns:
            buf = self._scratch[name] = (_zeros if zeros else np.empty)(rows * columns)
        return buf[:rows * columns].reshape(rows, columns)

    def fill(self, b0, b1):
        """The columns of images ``b0:b1``, a (C·KH·KW, (b1 − b0)·OH·OW) matrix."""
        block = self._windows[:, :, :, b0:b1]  # (C, KH, KW, n, OH, OW), a view
        X = self._matrix("X", self.rows, block[0, 0, 0].size)
        np.copyto(X.reshape(block.shape), block)
        return X

    def outputs(self, Y, n):
        """The (n, F, OH, OW) outputs in ``Y = K · X`` (F, n·OH·OW), a view."""
        return Y.reshape((len(Y), n) + self.out_hw).transpose(1, 0, 2, 3)

    def deltas(self, dout):
        """``D[f, (b, i, j)] = dout[b, f, i, j]`` for a block ``dout`` (n, F, OH, OW)."""
        n, F = dout.shape[:2]
        D = self._matrix("D", F, n * self.per_image)
        np.copyto(D.reshape((F, n) + self.out_hw), dout.transpose(1, 0, 2, 3))
        return D

    def new_gradient(self):
        """A zero accumulator for ``dx_pad``, channel-major: (C, N, Hp, Wp)."""
        return _zeros(self.x_shape[1::-1] + self.padded_hw)

    def add_columns(self, acc, G, b0, b1):
        """``col2im`` of a block: ``acc[c, b, i·Sh + m, j·Sw + n] += G[(c, m, n), (b − b0, i, j)]``.

        One add per kernel offset (m, n), each over all the block's windows.
        """
        (kh, kw), (sh, sw), (OH, OW) = self.kernel_size, self.stride, self.out_hw
        G = G.reshape(len(acc), kh, kw, b1 - b0, OH, OW)
        for m in range(kh):
            for n in range(kw):
                acc[:, b0:b1, m:m + sh * (OH - 1) + 1:sh, n:n + sw * (OW - 1) + 1:sw] += G[:, m, n]

    def add_back(self, acc, K, D, b0, b1):
        """``acc += col2im(Kᵀ · D)`` for images ``b0:b1``; ``D`` from ``deltas``.

        With stride 1, ``D`` is first spread over a zero grid of the padded size
        (F, n·Hp·Wp): δ of output (i, j) sits at pixel (i, j) of its image. Then a
        window's pixel (i + m, j + n) lies m·Wp + n places further on in the
        flattened accumulator, so ``col2im`` is KH·KW adds of one long contiguous
        run each (the zeros add nothing). That costs F·(Hp·Wp − OH·OW) more
        multiply-adds per image in ``Kᵀ · D``, so it is taken only when those are at
        most 4 per output position (measured: faster with 6 filters on 28×28, slower
        with 32 filters on 14×14, where the short adds cost less than the extra
        products); otherwise, and with strides, one strided add per kernel offset.
        """
        (kh, kw), (Hp, Wp), (OH, OW) = self.kernel_size, self.padded_hw, self.out_hw
        if self.stride != (1, 1) or len(D) * (Hp * Wp - OH * OW) > 4 * OH * OW:
            G = np.matmul(K.T, D, out=self._matrix("G", self.rows, D.shape[1]))
            self.add_columns(acc, G, b0, b1)
            return
        n, F, C, L = b1 - b0, len(D), len(acc), Hp * Wp
        Dw = self._matrix("D_grid", F, n * L, zeros=True)  # zero outside [:OH, :OW]
        np.copyto(Dw.reshape(F, n, Hp, Wp)[:, :, :OH, :OW], D.reshape(F, n, OH, OW))
        G = np.matmul(K.T, Dw, out=self._matrix("G", self.rows, n * L)).reshape(C, kh * kw, n * L)
        flat = np.reshape(acc, (C, -1), copy=False)[:, b0 * L:b1 * L]  # a view: adds land in acc
        length = n * L - (kh - 1) * Wp - (kw - 1)  # the last δ of the block lands at n·L − 1
        for m in range(kh):
            for q in range(kw):
                start = m * Wp + q
                flat[:, start:start + length] += G[:, m * kw + q, :length]

    def gradient(self, acc):
        """``dx`` (N, C, H, W) from the accumulator: crop the padding, back to image-major."""
        (ph, pw), (H, W) = self.padding, self.x_shape[2:]
        return np.ascontiguousarray(acc[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3))
