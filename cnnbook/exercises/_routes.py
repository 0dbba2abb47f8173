"""The chapters' backward routes with switches: the right route, and each classic mistake.

The implementation exercises' catalogues are made of these: ``conv_route(..., flip=False)``
is the convolution backward pass without rot180, and so on. Each switch changes one step
of the derivation, exactly as a student who makes that one mistake would.
"""
from __future__ import annotations

import numpy as np

from .. import correlate2d, crop2d, expand_sensitivity, pad2d, rot180

__all__ = ["conv_route", "max_pool_route", "avg_pool_route", "pool_windows"]


def _expand(delta, stride, size, how):
    """δ (O_h, O_w) back to the stride-1 grid: ``size`` = L − K + 2P + 1 per axis."""
    oh, ow = delta.shape
    if how == "full":
        return expand_sensitivity(delta, stride, size)
    if how == "smallest":                                  # (O − 1)S + 1: the tail is lost
        return expand_sensitivity(delta, stride)
    if how == "times":                                     # O·S: a row too many, or too few
        out = np.zeros((oh * stride, ow * stride))
        out[::stride, ::stride] = delta
        return out
    if how == "none":                                      # the stride ignored
        return delta
    if how == "blocks":                                    # every S×S block filled with δ
        full = np.zeros(size)
        big = np.kron(delta, np.ones((stride, stride)))[:size[0], :size[1]]
        full[:big.shape[0], :big.shape[1]] = big
        return full
    raise ValueError(how)


def conv_route(dout, x, w, stride=1, padding=0, *, flip=True, expand="full", ring="K-1",
               crop=True, dw_flip=False, dw_batch="sum", db_axes=(0, 2, 3)):
    """Chapters 4–6: for every sample n, channel c and filter f,

    ``dx[n, c] += crop_P( pad_{K−1}(expand(δ[n, f])) ⋆ rot180(W[f, c]) )`` and
    ``dW[f, c] += pad_P(x[n, c]) ⋆ expand(δ[n, f])``, ``db = Σ δ`` over (n, u, v).

    Switches: ``flip=False`` uses W instead of rot180(W); ``expand`` = "smallest"
    ((O − 1)S + 1), "none"; ``ring`` = "P" or "one" instead of K − 1; ``crop=False`` keeps
    the padding border; ``dw_flip`` correlates with rot180(δ); ``dw_batch`` = "last" keeps
    one sample's dW (= instead of +=) or "mean"; ``db_axes`` the axes δ is summed over.
    """
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    size = (H - KH + 2 * padding + 1, W - KW + 2 * padding + 1)
    rings = {"K-1": (KH - 1, KW - 1), "P": (padding, padding), "one": (1, 1)}[ring]
    dx = None
    dws = []
    for n in range(N):
        dw_n = None
        for f in range(F):
            e = _expand(dout[n, f], stride, size, expand)
            padded = pad2d(e, rings)
            for c in range(C):
                k = rot180(w[f, c]) if flip else w[f, c]
                part = correlate2d(padded, k)
                if crop:
                    part = crop2d(part, padding)
                if dx is None:
                    dx = np.zeros((N, C) + part.shape)
                dx[n, c] += part
            g = np.stack([correlate2d(pad2d(x[n, c], padding), rot180(e) if dw_flip else e)
                          for c in range(C)])
            if dw_n is None:
                dw_n = np.zeros((F,) + g.shape)
            dw_n[f] = g
        dws.append(dw_n)
    if dw_batch == "sum":
        dw = np.sum(dws, axis=0)
    elif dw_batch == "mean":
        dw = np.mean(dws, axis=0)
    else:                                                  # "last": = instead of +=
        dw = dws[-1]
    db = dout.sum(axis=db_axes)
    return dx, dw, db


def pool_windows(shape, kernel_size, stride):
    """(u, v, rows, cols) of every window of a K×K pooling with stride S on an (H, W) map."""
    H, W = shape
    OH, OW = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    for u in range(OH):
        for v in range(OW):
            yield u, v, slice(u * stride, u * stride + kernel_size), \
                slice(v * stride, v * stride + kernel_size)


def max_pool_route(dout, x, kernel_size, stride, *, route="first", add=True):
    """Chapter 7: each window's δ to its maximum. ``route``: "first" (the first maximum in
    row-major order, PyTorch's), "last", "ties" (every tied maximum), "copy" (every cell,
    seed 003's rule), "share" (δ/K² to every cell). ``add=False`` assigns instead of adding."""
    dx = np.zeros(x.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for u, v, rows, cols in pool_windows(x.shape[2:], kernel_size, stride):
                window = x[n, c, rows, cols]
                d = dout[n, c, u, v]
                target = np.zeros(window.shape)
                hit = window == window.max()
                if route == "first":
                    target.flat[np.flatnonzero(hit)[0]] = d
                elif route == "last":
                    target.flat[np.flatnonzero(hit)[-1]] = d
                elif route == "ties":
                    target[hit] = d
                elif route == "copy":
                    target[:] = d
                elif route == "share":
                    target[:] = d / kernel_size ** 2
                if add:
                    dx[n, c, rows, cols] += target
                else:
                    block = dx[n, c, rows, cols]
                    block[target != 0] = target[target != 0]
    return dx


def avg_pool_route(dout, x_shape, kernel_size, stride, *, divide=2, add=True):
    """Chapter 7: each window's δ spread as δ/K² over its K² cells. ``divide`` is the power
    of K divided by (2 right, 1 or 0 wrong), or "S" for S²; ``add=False`` assigns."""
    dx = np.zeros(tuple(x_shape))
    by = stride ** 2 if divide == "S" else kernel_size ** divide
    for n in range(dx.shape[0]):
        for c in range(dx.shape[1]):
            for u, v, rows, cols in pool_windows(dx.shape[2:], kernel_size, stride):
                if add:
                    dx[n, c, rows, cols] += dout[n, c, u, v] / by
                else:
                    dx[n, c, rows, cols] = dout[n, c, u, v] / by
    return dx
