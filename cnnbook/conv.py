"""Fast 2-D convolution (cross-correlation, as PyTorch's ``conv2d``), the transposed
convolution (``conv_transpose2d``), and their gradients.

Forward, with ``K = w.reshape(F, C·KH·KW)`` and ``X_col = im2col(x)`` (seed 000)::

    net = K · X_col + b                       (F, N·OH·OW) → (N, F, OH, OW)

Backward, for δ = ∂E/∂net laid out as ``D`` of shape (F, N·OH·OW)::

    dW = D · X_colᵀ                           weight sharing: one sum over all positions
    dx = col2im(Kᵀ · D)                       windows that overlap add up
    db = Σ D over its columns

``dx = col2im(Kᵀ · D)`` is ``Mᵀ δ`` for the convolution's matrix M (chapter 1's
``conv_matrix``): a **transposed convolution**. ``conv_transpose2d`` is that map as
a layer of its own (PyTorch's ``ConvTranspose2d``): its forward is a convolution's
input gradient, its backward a convolution's forward (dx) and weight gradient (dW).

Dilation R puts R − 1 zeros between the kernel's taps: column (c, m, n) of a window
reads ``x_pad[c, u·S + m·R, v·S + n·R]``; everything else is unchanged.

The code does exactly this, a block of images at a time (``cnnbook._columns.ColumnBlocks``):
the columns of a few images are built, multiplied and added back while they are
still in the CPU cache, and dW sums the blocks' contributions. Within a block the
products are taken image by image (``np.matmul`` on a stack), so that ``K · X``
lands in ``out`` and ``Kᵀ · D`` reads ``dout`` as they are laid out.
``cnnbook.reference`` computes the same with loops; the tests keep the two equal.
"""
from __future__ import annotations

import numpy as np

from ._columns import ColumnBlocks
from .shapes import check_conv, check_conv_transpose, check_dout

__all__ = ["conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward"]


def _extend(a, hw):
    """``a`` (N, C, H, W) with zero rows and columns appended up to ``hw``, or ``a`` itself."""
    if a.shape[2:] == tuple(hw):
        return a
    out = np.zeros(a.shape[:2] + tuple(hw))
    out[:, :, :a.shape[2], :a.shape[3]] = a
    return out


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    """Cross-correlate a batch of images with a bank of filters.

    ``x`` (N, C, H, W), ``w`` (F, C, KH, KW), ``b`` (F,) or None; returns (N, F, OH, OW)
    with ``O = floor((L + 2P − R(K − 1) − 1) / S) + 1`` per axis (R = 1:
    ``floor((L − K + 2P) / S) + 1``) and::

        net[r, q, u, v] = Σ_c Σ_m Σ_n w[q, c, m, n] · x_pad[r, c, u·S + m·R, v·S + n·R] + b[q]

    (sample r, filter q, output cell (u, v), kernel tap (m, n)). ``stride`` S,
    ``padding`` P (zeros) and ``dilation`` R take an int or an ``(h, w)`` pair; R − 1
    zeros sit between the kernel's taps (dilated or atrous convolution, 空洞卷积).
    Computed as ``K · X_col + b``, one block of images at a time.
    """
    x, w, b, s, p, d, (OH, OW) = check_conv(x, w, b, stride, padding, dilation)
    N, F = x.shape[0], w.shape[0]
    K = w.reshape(F, -1)
    cols = ColumnBlocks(x, w.shape[2:], s, p, dilation=d)
    out = np.empty((N, F, OH * OW))
    for b0, b1 in cols.blocks():
        np.matmul(K, cols.fill(b0, b1), out=out[b0:b1])  # out[b] = K · X[b], each image b
    out += b[:, None]
    return out.reshape(N, F, OH, OW)


def conv2d_backward(dout, x, w, stride=1, padding=0, dilation=1):
    """Gradients of ``conv2d`` given ``dout`` = δ = ∂E/∂net, of shape (N, F, OH, OW).

    Returns ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and ``(F,)``::

        dx[r, c, i, j] = Σ_q Σ_m Σ_n w[q, c, m, n] · δ1[r, q, i + P − m·R, j + P − n·R]
        dw[q, c, m, n] = Σ_r Σ_u Σ_v δ[r, q, u, v] · x_pad[r, c, u·S + m·R, v·S + n·R]
        db[q]          = Σ_r Σ_u Σ_v δ[r, q, u, v]

    where δ1 is δ expanded to stride 1 (zeros in the skipped places, and 0 outside
    the map): the full correlation of δ with rot180(W), which is
    ``conv_transpose2d(δ, w, S, P, output_padding=(L − R(K − 1) − 1 + 2P) mod S, R)``.
    Computed per block of images as ``dW += D · X_colᵀ`` and ``dx += col2im(Kᵀ · D)``.
    """
    x, w, _, s, p, d, (OH, OW) = check_conv(x, w, None, stride, padding, dilation)
    N, F = x.shape[0], w.shape[0]
    dout = check_dout(dout, (N, F, OH, OW))
    K = w.reshape(F, -1)
    D = dout.reshape(N, F, OH * OW)  # D[b] = δ of image b, (F, OH·OW)
    cols = ColumnBlocks(x, w.shape[2:], s, p, dilation=d)
    dx, dw = cols.new_gradient(F), np.zeros_like(K)
    dw_block = np.empty((cols.block_images,) + K.shape)
    for b0, b1 in cols.blocks():
        X = cols.fill(b0, b1)
        dw += np.matmul(D[b0:b1], X.transpose(0, 2, 1), out=dw_block[:b1 - b0]).sum(axis=0)
        cols.add_back(dx, w, D[b0:b1], b0, b1)  # dx += col2im(Kᵀ · D)
    return cols.gradient(dx), dw.reshape(w.shape), D.sum(axis=(0, 2))


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution (PyTorch's ``conv_transpose2d``): every input cell paints
    the kernel, scaled by its value, onto the output.

    ``x`` (N, C_in, H, W), ``w`` (C_in, C_out, KH, KW), ``b`` (C_out,) or None; returns
    (N, C_out, OH, OW) with, per axis,
    ``O = (L − 1)·S − 2P + R(K − 1) + output_padding + 1`` and::

        out[r, o, i·S + m·R − P, j·S + n·R − P] += x[r, c, i, j] · w[c, o, m, n]   (+ b[o])

    for every input cell (i, j), channel c and kernel tap (m, n) that lands inside the
    output. It is the transpose ``Mᵀ`` of the convolution ``conv2d(·, w, stride,
    padding, dilation)`` from an (OH, OW) map of C_out channels to C_in channels:
    ``conv2d_backward``'s dx. ``output_padding`` (smaller than S or R) chooses which of
    the input sizes that such a convolution maps to (H, W) is produced.
    """
    x, w, b, s, p, op, d, (OH, OW) = check_conv_transpose(
        x, w, b, stride, padding, output_padding, dilation)
    N, C_in = x.shape[:2]
    C_out = w.shape[1]
    cols = ColumnBlocks(None, w.shape[2:], s, p, x_shape=(N, C_out, OH, OW), dilation=d)
    # the convolution whose transpose this is maps (OH, OW) to cols.out_hw: (H, W), or
    # more when output_padding ≥ stride; those extra δ rows and columns are 0
    D = _extend(x, cols.out_hw).reshape(N, C_in, cols.per_image)
    acc = cols.new_gradient(C_in)
    for b0, b1 in cols.blocks():
        cols.add_back(acc, w, D[b0:b1], b0, b1)  # out += col2im(Kᵀ · x)
    out = cols.gradient(acc)
    out += b[:, None, None]
    return out


def conv_transpose2d_backward(dout, x, w, stride=1, padding=0, output_padding=0, dilation=1):
    """Gradients of ``conv_transpose2d`` given ``dout`` = ∂E/∂out, of shape (N, C_out, OH, OW).

    Returns ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and ``(C_out,)``. Each
    output cell took ``x[r, c, i, j] · w[c, o, m, n]``, so backwards each input cell
    gathers from the cells it painted::

        dx[r, c, i, j] = Σ_o Σ_m Σ_n w[c, o, m, n] · dout_pad[r, o, i·S + m·R, j·S + n·R]
        dw[c, o, m, n] = Σ_r Σ_i Σ_j x[r, c, i, j] · dout_pad[r, o, i·S + m·R, j·S + n·R]
        db[o]          = Σ_r Σ_u Σ_v dout[r, o, u, v]

    (``dout_pad``: dout with P zeros around it). So dx is ``conv2d(dout, w, stride,
    padding, dilation)`` — the backward of a transposed convolution is a convolution's
    forward — and dw is that convolution's weight gradient with x as its δ.
    """
    x, w, _, s, p, op, d, (OH, OW) = check_conv_transpose(
        x, w, None, stride, padding, output_padding, dilation)
    N, C_in, H, W = x.shape
    C_out = w.shape[1]
    dout = check_dout(dout, (N, C_out, OH, OW))
    cols = ColumnBlocks(dout, w.shape[2:], s, p, dilation=d)
    CH, CW = cols.out_hw  # (H, W), or more when output_padding ≥ stride
    K = w.reshape(C_in, -1)
    Dx = _extend(x, (CH, CW)).reshape(N, C_in, CH * CW)  # x is the δ of that convolution
    dx = np.empty((N, C_in, CH * CW))
    dw = np.zeros_like(K)
    dw_block = np.empty((cols.block_images,) + K.shape)
    for b0, b1 in cols.blocks():
        X = cols.fill(b0, b1)
        np.matmul(K, X, out=dx[b0:b1])  # dx = conv2d(dout, w)
        dw += np.matmul(Dx[b0:b1], X.transpose(0, 2, 1), out=dw_block[:b1 - b0]).sum(axis=0)
    dx = dx.reshape(N, C_in, CH, CW)
    if (CH, CW) != (H, W):
        dx = np.ascontiguousarray(dx[:, :, :H, :W])
    return dx, dw.reshape(w.shape), dout.sum(axis=(0, 2, 3))
