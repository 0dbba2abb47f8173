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

from .im2col import add_windows, windows
from .primitives import pad2d
from .shapes import check_dout, check_pool

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


def _flat_windows(x, k, s, p, fill):
    """Windows of ``x`` padded with ``fill``, as (N, C, OH, OW, KH·KW) (a copy)."""
    v = windows(pad2d(x, p, value=fill), k, s)
    return v.reshape(v.shape[:4] + (k[0] * k[1],))


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each KH×KW window; ``x`` (N, C, H, W) → (N, C, OH, OW).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the window) is
    −∞, so a padded cell never wins. ``OH = floor((H + 2Ph − KH) / Sh) + 1``.
    """
    x, k, s, p, _ = check_pool(x, kernel_size, stride, padding)
    return _flat_windows(x, k, s, p, -np.inf).max(axis=-1)


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of ``max_pool2d``: each ``dout[i, j]`` goes to its window's argmax.

    The argmax is recomputed from ``x`` (the "remembered position" of the seeds);
    with ties the first maximum in row-major window order wins, as in PyTorch.
    """
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out_hw)
    winner = _flat_windows(x, k, s, p, -np.inf).argmax(axis=-1)  # first maximum
    return add_windows(lambda m, q: np.where(winner == m * k[1] + q, dout, 0.0), x.shape, k, s, p, out_hw)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over each KH×KW window, always dividing by KH·KW (``count_include_pad=True``)."""
    x, k, s, p, _ = check_pool(x, kernel_size, stride, padding)
    return _flat_windows(x, k, s, p, 0.0).sum(axis=-1) / (k[0] * k[1])


def avg_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of ``avg_pool2d``: ``dout[i, j] / (KH·KW)`` to every cell of window (i, j)."""
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out_hw)
    share = dout / (k[0] * k[1])
    return add_windows(lambda m, q: share, x.shape, k, s, p, out_hw)
