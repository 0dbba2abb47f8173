"""Readable twins of the fast functions: loops that follow the derivations step by step.

They take and return exactly what ``conv2d``, ``conv2d_backward``, ``max_pool2d`` …
do, and the tests hold the fast versions equal to these. Read them next to the
chapters; use the fast ones for anything big.

Convolution layer, per image, in the course's notation (net = the layer's output
before its activation, δ = ∂E/∂net, the sensitivity map / 误差项; filter q, channel c)::

    forward   net[q] = Σ_c valid_correlate(x_pad[c], W[q, c])[::S, ::S] + b[q]
    backward  δ_1   = expand(δ[q], S)              stride-1 map, size L − K + 2P + 1
              dx_pad[c] = Σ_q valid_correlate(pad(δ_1, K − 1), rot180(W[q, c]))
              dx    = dx_pad with the P-wide border cropped      = ∂E/∂a^(l−1)
              dW[q, c] = valid_correlate(x_pad[c], δ_1)       weight sharing: Σ over positions
              db[q] = Σ δ[q]

The activation factor f′ is not here: it belongs to the activation layers. The δ
that reaches ``conv2d_backward`` is already ∂E/∂net^(l); the dx it returns is
∂E/∂a^(l−1), and the layer below makes its own δ^(l−1) = dx ⊙ f′(net^(l−1)).
"""
from __future__ import annotations

import numpy as np

from .primitives import correlate2d, crop2d, expand_sensitivity, pad2d, rot180
from .shapes import check_conv, check_dout, check_pool

__all__ = [
    "conv2d_reference",
    "conv2d_backward_reference",
    "max_pool2d_reference",
    "max_pool2d_backward_reference",
    "avg_pool2d_reference",
    "avg_pool2d_backward_reference",
]


def conv2d_reference(x, w, b=None, stride=1, padding=0):
    """``net[r, q] = Σ_c correlate2d(x_pad[r, c], w[q, c])[::Sh, ::Sw] + b[q]``.

    A stride-S convolution is the stride-1 one with only every S-th row and column
    kept, which is why the backward pass can undo the stride by inserting zeros.
    """
    x, w, b, (sh, sw), p, (OH, OW) = check_conv(x, w, b, stride, padding)
    N, F, C = x.shape[0], w.shape[0], w.shape[1]
    x_pad = pad2d(x, p)
    out = np.zeros((N, F, OH, OW))
    for r in range(N):          # sample r
        for q in range(F):      # filter q
            stride1 = sum(correlate2d(x_pad[r, c], w[q, c], "valid") for c in range(C))
            out[r, q] = stride1[::sh, ::sw] + b[q]
    return out


def conv2d_backward_reference(dout, x, w, stride=1, padding=0):
    """``(dx, dw, db)`` by expand → pad with K − 1 zeros → correlate with rot180(W) → crop.

    See the module docstring for the formulas; each line below is one of them.
    """
    x, w, _, s, (ph, pw), (OH, OW) = check_conv(x, w, None, stride, padding)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    dout = check_dout(dout, (N, F, OH, OW))
    x_pad = pad2d(x, (ph, pw))
    size1 = (H + 2 * ph - KH + 1, W + 2 * pw - KW + 1)  # stride-1 map: L − K + 2P + 1

    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for r in range(N):          # sample r
        for q in range(F):      # filter q
            delta1 = expand_sensitivity(dout[r, q], s, size1)
            delta1_pad = pad2d(delta1, (KH - 1, KW - 1))
            for c in range(C):
                # ∂E/∂a^(l−1) = pad(δ^(l), K−1) ⋆ rot180(W)  (⋆: valid cross-correlation);
                # the layer below multiplies by f′(net^(l−1)) to get its δ^(l−1)
                dx_pad[r, c] += correlate2d(delta1_pad, rot180(w[q, c]), "valid")
                # ∂E/∂W = a^(l−1) ⋆ δ^(l): each weight is used at every position
                dw[q, c] += correlate2d(x_pad[r, c], delta1, "valid")
    dx = crop2d(dx_pad, (ph, pw))  # padding cells get gradient too; drop it
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


def _pool_windows(x, k, s, out_hw):
    """Yield ``(n, c, i, j, rows, cols)``: window (i, j) as slices of the padded input."""
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            for i in range(out_hw[0]):
                for j in range(out_hw[1]):
                    yield n, c, i, j, slice(i * s[0], i * s[0] + k[0]), slice(j * s[1], j * s[1] + k[1])


def max_pool2d_reference(x, kernel_size, stride=None, padding=0):
    """``out[n, c, i, j] = max`` of window (i, j) of ``x`` padded with −∞."""
    x, k, s, p, (OH, OW) = check_pool(x, kernel_size, stride, padding)
    x_pad = pad2d(x, p, value=-np.inf)
    out = np.empty(x.shape[:2] + (OH, OW))
    for n, c, i, j, rows, cols in _pool_windows(x, k, s, (OH, OW)):
        out[n, c, i, j] = x_pad[n, c, rows, cols].max()
    return out


def max_pool2d_backward_reference(dout, x, kernel_size, stride=None, padding=0):
    """Route each δ to the position of its window's maximum; everything else gets 0.

    ``dx[argmax of window (i, j)] += dout[i, j]``. Ties go to the first maximum in
    row-major order within the window; overlapping windows add up.
    """
    x, k, s, p, (OH, OW) = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + (OH, OW))
    x_pad = pad2d(x, p, value=-np.inf)
    dx_pad = np.zeros_like(x_pad)
    for n, c, i, j, rows, cols in _pool_windows(x, k, s, (OH, OW)):
        window = x_pad[n, c, rows, cols]
        m, q = np.unravel_index(np.argmax(window), window.shape)  # first maximum
        dx_pad[n, c, rows.start + m, cols.start + q] += dout[n, c, i, j]
    return crop2d(dx_pad, p)


def avg_pool2d_reference(x, kernel_size, stride=None, padding=0):
    """``out[n, c, i, j] = mean`` of window (i, j) of ``x`` padded with zeros.

    The divisor is always KH·KW, padding cells included (PyTorch's
    ``count_include_pad=True``).
    """
    x, k, s, p, (OH, OW) = check_pool(x, kernel_size, stride, padding)
    x_pad = pad2d(x, p)
    out = np.empty(x.shape[:2] + (OH, OW))
    for n, c, i, j, rows, cols in _pool_windows(x, k, s, (OH, OW)):
        out[n, c, i, j] = x_pad[n, c, rows, cols].sum() / (k[0] * k[1])
    return out


def avg_pool2d_backward_reference(dout, x, kernel_size, stride=None, padding=0):
    """Spread each δ evenly over its window: every cell gets ``dout[i, j] / (KH·KW)``.

    Overlapping windows add up; the share that lands on padding is dropped.
    """
    x, k, s, p, (OH, OW) = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + (OH, OW))
    dx_pad = pad2d(np.zeros_like(x), p)
    for n, c, i, j, rows, cols in _pool_windows(x, k, s, (OH, OW)):
        dx_pad[n, c, rows, cols] += dout[n, c, i, j] / (k[0] * k[1])
    return crop2d(dx_pad, p)
