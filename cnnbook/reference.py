"""Readable twins of the fast functions: loops that follow the derivations step by step.

They take and return exactly what ``conv2d``, ``conv2d_backward``, ``max_pool2d`` …
do, and the tests hold the fast versions equal to these. Read them next to the
chapters; use the fast ones for anything big.

Convolution layer, per image (seed 004 notation; net = the layer's output before
its activation, δ = ∂E/∂net, the sensitivity map / 误差项; K kernel side, S stride,
P padding, R dilation, and W_R = dilate2d(W, R), the kernel with R − 1 zeros between
its taps, of side K_R = R(K − 1) + 1; R = 1 leaves W as it is)::

    forward   net[q] = Σ_c valid_correlate(x_pad[c], W_R[q, c])[::S, ::S] + b[q]
    backward  δ_1   = expand(δ[q], S)              stride-1 map, side L − K_R + 2P + 1
              dx_pad[c] = Σ_q valid_correlate(pad(δ_1, K_R − 1), rot180(W_R[q, c]))
              dx    = dx_pad with the P-wide border cropped      = ∂E/∂a^(l−1)
              dW[q, c] = valid_correlate(x_pad[c], δ_1)[::R, ::R]   Σ over positions,
                                                                   at the real taps only
              db[q] = Σ δ[q]

Transposed convolution (w of shape (C_in, C_out, K, K)): each input cell paints
the kernel, times its value, onto the output; backwards each input cell gathers
from the cells it painted::

    forward   canvas[o, i·S : i·S + K_R, j·S : j·S + K_R] += x[c, i, j] · W_R[c, o]
              out = canvas with the P-wide border cropped (+ b[o])
    backward  patch = pad(dout, P)[o, i·S : i·S + K_R : R, j·S : j·S + K_R : R]
              dx[c, i, j] = Σ_o Σ patch · W[c, o]        dW[c, o] += x[c, i, j] · patch

The activation factor f′(net) is not here: it belongs to the activation layer, so
the δ that reaches ``conv2d_backward`` is already ∂E/∂net.
"""
from __future__ import annotations

import numpy as np

from .primitives import correlate2d, crop2d, dilate2d, expand_sensitivity, pad2d, rot180
from .shapes import (
    check_col2im, check_conv, check_conv_transpose, check_dout, check_im2col, check_pool,
)

__all__ = [
    "im2col_reference",
    "col2im_reference",
    "conv2d_reference",
    "conv2d_backward_reference",
    "conv_transpose2d_reference",
    "conv_transpose2d_backward_reference",
    "max_pool2d_reference",
    "max_pool2d_backward_reference",
    "avg_pool2d_reference",
    "avg_pool2d_backward_reference",
]


def conv2d_reference(x, w, b=None, stride=1, padding=0, dilation=1):
    """``net[r, q] = Σ_c correlate2d(x_pad[r, c], W_R[q, c])[::Sh, ::Sw] + b[q]``.

    A stride-S convolution is the stride-1 one with only every S-th row and column
    kept, which is why the backward pass can undo the stride by inserting zeros. A
    dilated kernel is an ordinary kernel with R − 1 zeros between its taps,
    ``W_R = dilate2d(W, R)``.
    """
    x, w, b, (sh, sw), p, d, (OH, OW) = check_conv(x, w, b, stride, padding, dilation)
    N, F, C = x.shape[0], w.shape[0], w.shape[1]
    x_pad = pad2d(x, p)
    w_dil = dilate2d(w, d)
    out = np.zeros((N, F, OH, OW))
    for r in range(N):
        for q in range(F):
            stride1 = sum(correlate2d(x_pad[r, c], w_dil[q, c], "valid") for c in range(C))
            out[r, q] = stride1[::sh, ::sw] + b[q]
    return out


def conv2d_backward_reference(dout, x, w, stride=1, padding=0, dilation=1):
    """``(dx, dw, db)`` by expand → pad with K_R − 1 zeros → correlate with rot180(W_R) → crop.

    See the module docstring for the formulas; each line below is one of them.
    """
    x, w, _, s, (ph, pw), d, (OH, OW) = check_conv(x, w, None, stride, padding, dilation)
    N, C, H, W = x.shape
    F = w.shape[0]
    dout = check_dout(dout, (N, F, OH, OW))
    x_pad = pad2d(x, (ph, pw))
    w_dil = dilate2d(w, d)  # the kernel with R − 1 zeros between its taps
    KH, KW = w_dil.shape[2:]
    size1 = (H + 2 * ph - KH + 1, W + 2 * pw - KW + 1)  # stride-1 map: L − K_R + 2P + 1

    dx_pad = np.zeros_like(x_pad)
    dw_dil = np.zeros_like(w_dil)
    for r in range(N):
        for q in range(F):
            delta1 = expand_sensitivity(dout[r, q], s, size1)
            delta1_pad = pad2d(delta1, (KH - 1, KW - 1))
            for c in range(C):
                # ∂E/∂a^(l−1) = pad(δ^(l), K−1) ⋆ rot180(W)  (⋆: valid cross-correlation);
                # the layer below multiplies by f′(net^(l−1)) to get its δ^(l−1)
                dx_pad[r, c] += correlate2d(delta1_pad, rot180(w_dil[q, c]), "valid")
                # ∂E/∂W = a^(l−1) ⋆ δ^(l): each weight is used at every position
                dw_dil[q, c] += correlate2d(x_pad[r, c], delta1, "valid")
    dx = crop2d(dx_pad, (ph, pw))  # padding cells get gradient too; drop it
    dw = dw_dil[:, :, ::d[0], ::d[1]].copy()  # the zeros between the taps are not weights
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


def conv_transpose2d_reference(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Scatter each input cell times the kernel: ``canvas[:, i·S : i·S + K_R, j·S : j·S + K_R]
    += x[r, c, i, j] · W_R[c]``, then crop P from each side and add b.

    The canvas is ``(H − 1)·S + K_R + output_padding`` tall (likewise wide): the
    patches of the first and last input cells, and output_padding extra rows at the
    end that no patch reaches (0 + b). Cropping P from each side leaves
    ``O = (L − 1)·S − 2P + R(K − 1) + output_padding + 1``.
    """
    x, w, b, (sh, sw), p, op, d, (OH, OW) = check_conv_transpose(
        x, w, b, stride, padding, output_padding, dilation)
    N, C_in, H, W = x.shape
    w_dil = dilate2d(w, d)  # (C_in, C_out, K_R, K_R)
    KH, KW = w_dil.shape[2:]
    canvas = np.zeros((N, w.shape[1], OH + 2 * p[0], OW + 2 * p[1]))
    for r in range(N):
        for c in range(C_in):
            for i in range(H):
                for j in range(W):
                    canvas[r, :, i * sh:i * sh + KH, j * sw:j * sw + KW] += x[r, c, i, j] * w_dil[c]
    return crop2d(canvas, p) + b[:, None, None]


def conv_transpose2d_backward_reference(dout, x, w, stride=1, padding=0, output_padding=0,
                                        dilation=1):
    """``(dx, dw, db)``: each input cell gathers δ from the cells it painted.

    ``patch = pad(dout, P)[r, :, i·S + m·R, j·S + n·R]`` over the taps (m, n) — the
    cells input (i, j) painted with ``w[c, :, m, n]`` — gives
    ``dx[r, c, i, j] = Σ patch · w[c]`` and ``dw[c] += x[r, c, i, j] · patch``.
    """
    x, w, _, (sh, sw), p, op, (rh, rw), (OH, OW) = check_conv_transpose(
        x, w, None, stride, padding, output_padding, dilation)
    N, C_in, H, W = x.shape
    C_out, KH, KW = w.shape[1:]
    dout = check_dout(dout, (N, C_out, OH, OW))
    dout_pad = pad2d(dout, p)  # the canvas of the forward pass: its border got no gradient
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for r in range(N):
        for c in range(C_in):
            for i in range(H):
                for j in range(W):
                    rows = slice(i * sh, i * sh + (KH - 1) * rh + 1, rh)
                    cols = slice(j * sw, j * sw + (KW - 1) * rw + 1, rw)
                    patch = dout_pad[r, :, rows, cols]  # (C_out, KH, KW)
                    dx[r, c, i, j] = np.sum(patch * w[c])
                    dw[c] += x[r, c, i, j] * patch
    return dx, dw, dout.sum(axis=(0, 2, 3))


def im2col_reference(x, kernel_size, stride=1, padding=0, dilation=1):
    """Column (r, u, v) of ``X_col`` is window (u, v) of sample r, read row by row.

    ``X_col[(c, m, n), (r, u, v)] = x_pad[r, c, u·S + m·R, v·S + n·R]``: the window's
    C×KH×KW cells of the padded input (R apart), flattened channel first, then kernel
    row m, then kernel column n. Shape (C·KH·KW, N·OH·OW), as ``cnnbook.im2col``.
    """
    x, (kh, kw), (sh, sw), p, (rh, rw), (OH, OW) = check_im2col(x, kernel_size, stride, padding, dilation)
    N, C = x.shape[:2]
    x_pad = pad2d(x, p)
    cols = np.empty((C * kh * kw, N * OH * OW))
    for r in range(N):
        for u in range(OH):
            for v in range(OW):
                rows = slice(u * sh, u * sh + (kh - 1) * rh + 1, rh)
                window = x_pad[r, :, rows, v * sw:v * sw + (kw - 1) * rw + 1:rw]  # (C, KH, KW)
                cols[:, (r * OH + u) * OW + v] = window.ravel()
    return cols


def col2im_reference(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Every column added back into the window it came from; overlaps add up.

    ``dx_pad[r, c, u·S + m·R, v·S + n·R] += cols[(c, m, n), (r, u, v)]``, then the
    P-wide border is cropped: the adjoint of ``im2col_reference``, not its inverse.
    """
    cols, (N, C, H, W), (kh, kw), (sh, sw), p, (rh, rw), (OH, OW) = check_col2im(
        cols, x_shape, kernel_size, stride, padding, dilation)
    dx_pad = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]))
    for r in range(N):
        for u in range(OH):
            for v in range(OW):
                column = cols[:, (r * OH + u) * OW + v].reshape(C, kh, kw)
                rows = slice(u * sh, u * sh + (kh - 1) * rh + 1, rh)
                dx_pad[r, :, rows, v * sw:v * sw + (kw - 1) * rw + 1:rw] += column
    return crop2d(dx_pad, p)


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
