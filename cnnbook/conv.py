"""Fast 2-D convolution (cross-correlation, as PyTorch's ``conv2d``) and its gradients.

Forward, with ``K = w.reshape(F, C·KH·KW)`` and ``X_col = im2col(x)`` (seed 000)::

    net = K · X_col + b                       (F, N·OH·OW) → (N, F, OH, OW)

Backward, for δ = ∂E/∂net laid out as ``D`` of shape (F, N·OH·OW)::

    dW = D · X_colᵀ                           weight sharing: one sum over all positions
    dx = col2im(Kᵀ · D)                       windows that overlap add up
    db = Σ D over its columns

``cnnbook.reference`` computes the same with loops; the tests keep the two equal.
"""
from __future__ import annotations

from .im2col import col2im, im2col
from .shapes import check_conv, check_dout

__all__ = ["conv2d", "conv2d_backward"]


def conv2d(x, w, b=None, stride=1, padding=0):
    """Cross-correlate a batch of images with a bank of filters.

    ``x`` (N, C, H, W), ``w`` (F, C, KH, KW), ``b`` (F,) or None; returns (N, F, OH, OW)
    with ``OH = floor((H + 2Ph - KH) / Sh) + 1`` (likewise OW) and::

        net[n, f, i, j] = Σ_c Σ_m Σ_q w[f, c, m, q] · x_pad[n, c, i·Sh + m, j·Sw + q] + b[f]

    ``stride`` and ``padding`` take an int or an ``(h, w)`` pair; padding is zeros.
    """
    x, w, b, s, p, (OH, OW) = check_conv(x, w, b, stride, padding)
    N, F = x.shape[0], w.shape[0]
    cols = im2col(x, w.shape[2:], s, p)
    out = w.reshape(F, -1) @ cols + b[:, None]
    return out.reshape(F, N, OH, OW).transpose(1, 0, 2, 3).copy()


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Gradients of ``conv2d`` given ``dout`` = ∂E/∂net, of shape (N, F, OH, OW).

    Returns ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and ``(F,)``::

        dx[n, c, h, v] = Σ_f Σ_m Σ_q w[f, c, m, q] · δ1[n, f, h + Ph − m, v + Pw − q]
        dw[f, c, m, q] = Σ_n Σ_i Σ_j dout[n, f, i, j] · x_pad[n, c, i·Sh + m, j·Sw + q]
        db[f]          = Σ_n Σ_i Σ_j dout[n, f, i, j]

    where δ1 is ``dout`` expanded to stride 1 (zeros in the skipped places, and 0
    outside the map): the full correlation of δ with rot180(W).
    """
    x, w, _, s, p, (OH, OW) = check_conv(x, w, None, stride, padding)
    N, F = x.shape[0], w.shape[0]
    dout = check_dout(dout, (N, F, OH, OW))
    d = dout.transpose(1, 0, 2, 3).reshape(F, N * OH * OW)
    cols = im2col(x, w.shape[2:], s, p)
    dw = (d @ cols.T).reshape(w.shape)
    dx = col2im(w.reshape(F, -1).T @ d, x.shape, w.shape[2:], s, p)
    db = d.sum(axis=1)
    return dx, dw, db
