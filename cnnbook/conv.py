"""Fast 2-D convolution (cross-correlation, as PyTorch's ``conv2d``) and its gradients.

Forward, with ``K = w.reshape(F, C·KH·KW)`` and ``X_col = im2col(x)`` (seed 000)::

    net = K · X_col + b                       (F, N·OH·OW) → (N, F, OH, OW)

Backward, for δ = ∂E/∂net laid out as ``D`` of shape (F, N·OH·OW)::

    dW = D · X_colᵀ                           weight sharing: one sum over all positions
    dx = col2im(Kᵀ · D)                       windows that overlap add up
    db = Σ D over its columns

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
from .shapes import check_conv, check_dout

__all__ = ["conv2d", "conv2d_backward"]


def conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlate a batch of images with a bank of filters.

    ``x`` (N, C, H, W), ``w`` (F, C, KH, KW), ``b`` (F,) or None; returns (N, F, OH, OW)
    with ``OH = floor((H + 2Ph - KH) / Sh) + 1`` (likewise OW) and::

        net[n, f, i, j] = Σ_c Σ_m Σ_q w[f, c, m, q] · x_pad[n, c, i·Sh + m, j·Sw + q] + b[f]

    ``stride`` and ``padding`` take an int or an ``(h, w)`` pair; padding is zeros.
    Computed as ``K · X_col + b``, one block of images at a time.
    """
    x, w, b, s, p, (OH, OW) = check_conv(x, w, b, stride, padding)
    N, F = x.shape[0], w.shape[0]
    K = w.reshape(F, -1)
    cols = ColumnBlocks(x, w.shape[2:], s, p)
    out = np.empty((N, F, OH * OW))
    for b0, b1 in cols.blocks():
        np.matmul(K, cols.fill(b0, b1), out=out[b0:b1])  # out[b] = K · X[b], each image b
    out += b[:, None]
    return out.reshape(N, F, OH, OW)


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Gradients of ``conv2d`` given ``dout`` = ∂E/∂net, of shape (N, F, OH, OW).

    Returns ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and ``(F,)``::

        dx[n, c, h, v] = Σ_f Σ_m Σ_q w[f, c, m, q] · δ1[n, f, h + Ph − m, v + Pw − q]
        dw[f, c, m, q] = Σ_n Σ_i Σ_j dout[n, f, i, j] · x_pad[n, c, i·Sh + m, j·Sw + q]
        db[f]          = Σ_n Σ_i Σ_j dout[n, f, i, j]

    where δ1 is ``dout`` expanded to stride 1 (zeros in the skipped places, and 0
    outside the map): the full correlation of δ with rot180(W). Computed per block of
    images as ``dW += D · X_colᵀ`` and ``dx += col2im(Kᵀ · D)``.
    """
    x, w, _, s, p, (OH, OW) = check_conv(x, w, None, stride, padding)
    N, F = x.shape[0], w.shape[0]
    dout = check_dout(dout, (N, F, OH, OW))
    K = w.reshape(F, -1)
    D = dout.reshape(N, F, OH * OW)  # D[b] = δ of image b, (F, OH·OW)
    cols = ColumnBlocks(x, w.shape[2:], s, p)
    dx, dw = cols.new_gradient(F), np.zeros_like(K)
    dw_block = np.empty((cols.block_images,) + K.shape)
    for b0, b1 in cols.blocks():
        X = cols.fill(b0, b1)
        dw += np.matmul(D[b0:b1], X.transpose(0, 2, 1), out=dw_block[:b1 - b0]).sum(axis=0)
        cols.add_back(dx, w, D[b0:b1], b0, b1)  # dx += col2im(Kᵀ · D)
    return cols.gradient(dx), dw.reshape(w.shape), D.sum(axis=(0, 2))
