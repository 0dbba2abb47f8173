"""Fast max and average pooling (PyTorch's ``max_pool2d`` / ``avg_pool2d``) and gradients.

Max pooling (池化) keeps the largest value of each window and, backwards, routes
δ to that one position (ties: the first maximum in row-major window order)::

    out[i, j] = max_{m, q} x_pad[i·Sh + m, j·Sw + q]            x padded with −∞
    dx[argmax of window (i, j)] += dout[i, j]

Average pooling keeps the mean and spreads δ evenly::

    out[i, j] = (1 / (KH·KW)) · Σ_{m, q} x_pad[i·Sh + m, j·Sw + q]  x padded with 0
    dx[i·Sh + m, j·Sw + q] += dout[i, j] / (KH·KW)

Both accumulate where windows overlap (stride < kernel) and drop the share that
falls on padding. ``cnnbook.reference`` has the loop versions.
"""
from __future__ import annotations

import numpy as np

from .im2col import add_windows, offset_slices
from .primitives import crop2d, pad2d
from .shapes import check_dout, check_pool

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


def _offset_views(x_pad, k, s, out_hw):
    """Yield ``(sl, v)`` for each kernel offset (m, q) in row-major order, where
    ``v = x_pad[sl]`` and ``v[n, c, i, j] = x_pad[n, c, i·Sh + m, j·Sw + q]`` (a view).

    Pooling loops over the KH·KW offsets, each step a whole-array operation, instead
    of over the N·C·OH·OW windows.
    """
    for m in range(k[0]):
        for q in range(k[1]):
            sl = offset_slices(m, q, s, out_hw)
            yield sl, x_pad[sl]


def _max_windows(x_pad, k, s, out_hw):
    out = np.full(x_pad.shape[:2] + out_hw, -np.inf)
    for _, v in _offset_views(x_pad, k, s, out_hw):
        np.maximum(out, v, out=out)  # NaN propagates, as in PyTorch
    return out


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each KH×KW window; ``x`` (N, C, H, W) → (N, C, OH, OW).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the window) is
    −∞, so a padded cell never wins. ``OH = floor((H + 2Ph − KH) / Sh) + 1``.
    """
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    return _max_windows(pad2d(x, p, value=-np.inf), k, s, out_hw)


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of ``max_pool2d``: each ``dout[i, j]`` goes to its window's argmax.

    The argmax is recomputed from ``x`` (the "remembered position" of the seeds):
    walking the window offsets in row-major order, the first cell equal to the
    window's maximum takes the gradient, so ties go to the first maximum, as in PyTorch.
    """
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out_hw)
    x_pad = pad2d(x, p, value=-np.inf)
    out = _max_windows(x_pad, k, s, out_hw)
    nan = np.isnan(out)
    nan = nan if nan.any() else None  # a NaN window's gradient goes to its first NaN
    taken = np.zeros(out.shape, dtype=bool)
    dx_pad = np.zeros_like(x_pad)
    for sl, v in _offset_views(x_pad, k, s, out_hw):
        hit = v == out
        if nan is not None:
            hit |= nan & np.isnan(v)
        hit &= ~taken
        taken |= hit
        dx_pad[sl] += np.where(hit, dout, 0.0)
    return crop2d(dx_pad, p)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over each KH×KW window, always dividing by KH·KW (``count_include_pad=True``)."""
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    out = np.zeros(x.shape[:2] + out_hw)
    for _, v in _offset_views(pad2d(x, p), k, s, out_hw):
        out += v
    return out / (k[0] * k[1])


def avg_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of ``avg_pool2d``: ``dout[i, j] / (KH·KW)`` to every cell of window (i, j)."""
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out_hw)
    share = dout / (k[0] * k[1])
    return add_windows(lambda m, q: share, x.shape, k, s, p, out_hw)
