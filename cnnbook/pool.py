"""Fast max and average pooling (PyTorch's ``max_pool2d`` / ``avg_pool2d``) and gradients.

Max pooling (池化) keeps the largest value of each window and, backwards, routes
δ to that one position (ties: the first maximum in row-major window order)::

    out[u, v] = max_{m, n} x_pad[u·S + m, v·S + n]              x padded with −∞
    dx[argmax of window (u, v)] += dout[u, v]

Average pooling keeps the mean and spreads δ evenly (K² = KH·KW cells per window)::

    out[u, v] = (1 / K²) · Σ_{m, n} x_pad[u·S + m, v·S + n]      x padded with 0
    dx[u·S + m, v·S + n] += dout[u, v] / K²

Both accumulate where windows overlap (stride < kernel) and drop the share that
falls on padding. ``cnnbook.reference`` has the loop versions.

How the fast code works: a window is a rectangle, so its max (or sum) is taken in
two steps, first down the KH rows, then across the KW columns::

    rows[u, j] = max_m x_pad[u·S + m, j]          (whole rows: long, contiguous runs)
    out[u, v]  = max_n rows[u, v·S + n]

each step one whole-array operation per kernel offset. When the windows tile the
input (stride = kernel, the usual 2×2 pool) every input cell belongs to exactly one
window, and the backward passes work on the whole input at once, viewed as row
blocks (OH, KH, W). Overlapping windows go offset by offset (KH·KW steps).
"""
from __future__ import annotations

import numpy as np

from ._alloc import zeros
from .shapes import check_dout, check_pool, padded

__all__ = ["max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]


def _span(start, stride, count):
    """``slice(start, …, stride)`` selecting ``count`` entries: start, start + stride, …"""
    return slice(start, start + stride * (count - 1) + 1, stride)


def _combine(ufunc, views):
    """``ufunc`` folded over ``views`` (e.g. their elementwise max), into a new array."""
    views = list(views)
    if len(views) == 1:
        return views[0].copy()
    out = ufunc(views[0], views[1])
    for v in views[2:]:
        ufunc(out, v, out=out)
    return out


def _window_reduce(ufunc, x_pad, k, s, out_hw):
    """``out[n, c, i, j] = ufunc`` over window (i, j), rows first, then columns (see above)."""
    (kh, kw), (sh, sw), (OH, OW) = k, s, out_hw
    used = x_pad[..., :sw * (OW - 1) + kw]  # columns that some window reads
    rows = _combine(ufunc, (used[:, :, _span(m, sh, OH), :] for m in range(kh)))
    return _combine(ufunc, (rows[..., _span(q, sw, OW)] for q in range(kw)))


def _tiles(k, s):
    """True when the windows tile the input: stride = kernel, so no cell is in two windows."""
    return tuple(k) == tuple(s)


def _crop(a, p):
    """``a`` without its ``p`` padding border (a view)."""
    (ph, pw), (H, W) = p, a.shape[2:]
    return a[:, :, ph:H - ph, pw:W - pw]


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over each KH×KW window; ``x`` (N, C, H, W) → (N, C, OH, OW).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the window) is
    −∞, so a padded cell never wins. ``OH = floor((H + 2Ph − KH) / Sh) + 1``.
    """
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    return _window_reduce(np.maximum, padded(x, p, -np.inf), k, s, out_hw)  # NaN propagates


def max_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of ``max_pool2d``: each ``dout[i, j]`` goes to its window's argmax.

    The argmax is recomputed from ``x`` (the "remembered position" of the seeds):
    walking the window offsets in row-major order, the first cell equal to the
    window's maximum takes the gradient, so ties go to the first maximum, as in PyTorch.
    A window whose maximum is NaN sends its gradient to its first NaN.
    """
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out_hw)
    x_pad = padded(x, p, -np.inf)
    out = _window_reduce(np.maximum, x_pad, k, s, out_hw)
    if _tiles(k, s):
        dx_pad = _max_backward_tiled(dout, x_pad, out, k)
        if dx_pad is not None:
            return np.ascontiguousarray(_crop(dx_pad, p))
    return np.ascontiguousarray(_crop(_max_backward_offsets(dout, x_pad, out, k, s), p))


def _max_backward_tiled(dout, x_pad, out, k):
    """Non-overlapping windows: ``dx = [x is the first max of its window] · dout of its window``.

    The input is viewed as row blocks ``(N, C, OH, KH, OW·KW)``; ``out`` and ``dout``
    repeated KW times along the width line up with them. If the hits outnumber the
    windows, some window holds its maximum twice and ``_keep_first`` drops the later
    ones. With a NaN maximum or a non-finite δ (where 0 · δ would not be 0) this
    returns None and the offset loop decides instead.
    """
    (kh, kw), (OH, OW) = k, out.shape[2:]
    N, C = out.shape[:2]
    if np.isnan(out).any() or not np.isfinite(dout).all():
        return None
    blocks = x_pad[:, :, :OH * kh, :OW * kw].reshape(N, C, OH, kh, OW * kw)
    hit = blocks == np.repeat(out, kw, axis=-1)[:, :, :, None, :]
    if np.count_nonzero(hit) != out.size:  # a tie (common after ReLU: several zeros)
        _keep_first(hit.reshape(N, C, OH, kh, OW, kw))
    grad = hit * np.repeat(dout, kw, axis=-1)[:, :, :, None, :]
    grad += 0.0  # turn the −0.0 of False · (negative δ) into 0.0
    grad = grad.reshape(N, C, OH * kh, OW * kw)
    if grad.shape == x_pad.shape:
        return grad
    dx_pad = np.zeros_like(x_pad)  # rows/columns that no window reaches get 0
    dx_pad[:, :, :OH * kh, :OW * kw] = grad
    return dx_pad


def _keep_first(hit):
    """In each window of ``hit`` (N, C, OH, KH, OW, KW), keep only the first True in
    row-major (m, q) order; changes ``hit`` in place."""
    offsets = [(m, q) for m in range(hit.shape[3]) for q in range(hit.shape[5])]
    taken = hit[:, :, :, 0, :, 0].copy()  # windows whose maximum an earlier offset holds
    for m, q in offsets[1:]:
        h = hit[:, :, :, m, :, q]
        np.greater(h, taken, out=h)  # h and not taken
        taken |= h


def _max_backward_offsets(dout, x_pad, out, k, s):
    """Any windows: for each offset (m, q) in row-major order, the windows whose maximum
    sits there and was not taken by an earlier offset send ``dout`` to that cell."""
    (kh, kw), (sh, sw), (OH, OW) = k, s, out.shape[2:]
    nan = np.isnan(out)
    nan = nan if nan.any() else None  # a NaN window's gradient goes to its first NaN
    taken = np.zeros(out.shape, dtype=bool)
    dx_pad = np.zeros_like(x_pad)
    for m in range(kh):
        for q in range(kw):
            sl = (slice(None), slice(None), _span(m, sh, OH), _span(q, sw, OW))
            v = x_pad[sl]
            hit = v == out
            if nan is not None:
                hit |= nan & np.isnan(v)
            hit &= ~taken
            taken |= hit
            dx_pad[sl] += np.where(hit, dout, 0.0)
    return dx_pad


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over each KH×KW window, always dividing by KH·KW (``count_include_pad=True``)."""
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    out = _window_reduce(np.add, padded(x, p), k, s, out_hw)
    out /= k[0] * k[1]
    return out


def avg_pool2d_backward(dout, x, kernel_size, stride=None, padding=0):
    """Gradient of ``avg_pool2d``: ``dout[i, j] / (KH·KW)`` to every cell of window (i, j).

    Spread in two steps, the adjoint of the forward's rows-then-columns sum::

        r[i, j·Sw + q]          += share[i, j]      for each q   (across the columns)
        dx_pad[i·Sh + m, v]     += r[i, v]          for each m   (down the rows)
    """
    x, k, s, p, out_hw = check_pool(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out_hw)
    (kh, kw), (sh, sw), (OH, OW) = k, s, out_hw
    N, C, H, W = x.shape
    share = dout / (kh * kw)
    if _tiles(k, s):
        grad = np.repeat(np.repeat(share, kh, axis=2), kw, axis=3)  # (N, C, OH·KH, OW·KW)
        if grad.shape == x.shape and p == (0, 0):
            return grad
        dx_pad = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]))
        dx_pad[:, :, :OH * kh, :OW * kw] = grad
        return np.ascontiguousarray(_crop(dx_pad, p))
    r = zeros((N, C, OH, W + 2 * p[1]))
    for q in range(kw):
        r[..., _span(q, sw, OW)] += share
    dx_pad = zeros((N, C, H + 2 * p[0], W + 2 * p[1]))
    for m in range(kh):
        dx_pad[:, :, _span(m, sh, OH), :] += r
    return np.ascontiguousarray(_crop(dx_pad, p))
