"""The small operations the derivations are written in.

Every chapter builds the backward pass of a convolution out of these four steps,
so each does exactly one thing and its docstring states the formula:

* ``pad2d``              surround a map with zeros (补零, padding)
* ``crop2d``             cut that border off again (backward passes drop what lands on it)
* ``rot180``             turn a kernel by 180° (flip rows and columns)
* ``correlate2d``        slide a kernel over one map, ``valid`` or ``full``
* ``convolve2d``         the same with the kernel flipped (true convolution)
* ``expand_sensitivity`` put back the δ positions a stride skipped, as zeros
* ``dilate2d``           spread a map's entries R apart with zeros between (a dilated kernel)
* ``conv_matrix``        the same convolution written as one (sparse, shared) matrix

They work on the last two axes of plain numpy arrays; ``correlate2d`` and
``convolve2d`` take single-channel (2-D) maps, as in the seeds' pictures.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .shapes import (
    as_array, check_dilation, check_padding, check_size, check_stride, output_shape, pair, show_pair,
)

__all__ = ["pad2d", "crop2d", "rot180", "correlate2d", "convolve2d", "expand_sensitivity",
           "dilate2d", "conv_matrix"]


def pad2d(a, padding, value=0.0):
    """Pad the last two axes of ``a`` with ``value`` (zeros by default).

    With ``padding = (ph, pw)`` the result has shape ``(..., H + 2ph, W + 2pw)`` and
    ``out[..., ph + i, pw + j] = a[..., i, j]``; every other cell holds ``value``.
    """
    a = as_array(a, "a")
    if a.ndim < 2:
        raise ValueError(f"pad2d needs an array with at least 2 dimensions, got shape {a.shape}")
    ph, pw = check_padding(padding)
    check_size(a.shape[:-2] + (a.shape[-2] + 2 * ph, a.shape[-1] + 2 * pw), "a padded array",
               f"padding {show_pair((ph, pw))}")
    widths = [(0, 0)] * (a.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(a, widths, mode="constant", constant_values=value)


def crop2d(a, padding):
    """Remove a ``(ph, pw)`` border from the last two axes: the inverse of ``pad2d``.

    ``out[..., i, j] = a[..., ph + i, pw + j]``, shape ``(..., H − 2ph, W − 2pw)``; a new
    array. Backward passes compute the gradient of the padded input and crop it, since
    the padding cells are not inputs of the layer.
    """
    a = as_array(a, "a")
    ph, pw = check_padding(padding)
    if a.ndim < 2 or a.shape[-2] < 2 * ph or a.shape[-1] < 2 * pw:
        raise ValueError(f"cannot crop a {(ph, pw)} border from an array of shape {a.shape}")
    return a[..., ph:a.shape[-2] - ph, pw:a.shape[-1] - pw].copy()


def rot180(w):
    """Rotate the last two axes of ``w`` by 180°: ``rot180(W)[m, n] = W[KH-1-m, KW-1-n]``.

    Only rows and columns turn; a filter of shape (F, C, KH, KW) keeps its filter and
    channel order (``np.rot90(w, 2)`` on a 3-D filter would also flip the channels).
    """
    w = as_array(w, "w")
    if w.ndim < 2:
        raise ValueError(f"rot180 needs an array with at least 2 dimensions, got shape {w.shape}")
    return w[..., ::-1, ::-1].copy()


def _check_maps(a, k):
    a = as_array(a, "a", 2, "(H, W), a single-channel map")
    k = as_array(k, "k", 2, "(KH, KW), a single-channel kernel")
    if k.shape[0] < 1 or k.shape[1] < 1:
        raise ValueError(f"kernel k must not be empty, got shape {k.shape}")
    return a, k


def correlate2d(a, k, mode="valid"):
    """Cross-correlation of a 2-D map ``a`` with a 2-D kernel ``k`` (no flip).

    ``valid``: ``out[i, j] = Σ_m Σ_n a[i + m, j + n] · k[m, n]``, shape
    ``(H - KH + 1, W - KW + 1)``: the kernel stays inside the map.

    ``full``:  the same on ``a`` padded with ``KH - 1`` and ``KW - 1`` zeros, shape
    ``(H + KH - 1, W + KW - 1)``: every placement that overlaps the map at all.

    This is what deep-learning libraries call "convolution" (``conv2d``).
    """
    a, k = _check_maps(a, k)
    KH, KW = k.shape
    if mode == "full":
        a = pad2d(a, (KH - 1, KW - 1))
    elif mode != "valid":
        raise ValueError(f"mode must be 'valid' or 'full', got {mode!r}")
    if a.shape[0] < KH or a.shape[1] < KW:
        raise ValueError(
            f"kernel {k.shape} does not fit map {a.shape} in 'valid' mode; use mode='full'"
        )
    windows = sliding_window_view(a, (KH, KW))  # windows[i, j] = a[i:i+KH, j:j+KW]
    return np.einsum("ijmn,mn->ij", windows, k)


def convolve2d(a, k, mode="valid"):
    """True (mathematical) convolution: ``correlate2d(a, rot180(k), mode)``.

    ``valid``: ``out[i, j] = Σ_m Σ_n a[i + m, j + n] · k[KH-1-m, KW-1-n]``. Flipping the
    kernel is what makes ``convolve2d(a, k) == convolve2d(k, a)`` in ``full`` mode.
    """
    a, k = _check_maps(a, k)
    return correlate2d(a, rot180(k), mode)


def expand_sensitivity(delta, stride, size=None):
    """Undo the stride on a sensitivity map (敏感度图): put zeros where windows were skipped.

    A stride-S output keeps every S-th row and column of the stride-1 output, so its
    δ fills the stride-1 map at ``out[..., i·Sh, j·Sw] = delta[..., i, j]``; all other
    cells are 0. ``size = (rows, cols)`` is the stride-1 map's size, ``L - K + 2P + 1``
    per axis. It can exceed ``(O - 1)·S + 1`` when S does not divide ``L - K + 2P``:
    the trailing rows/columns then stay 0. Default: ``(O - 1)·S + 1``.
    """
    delta = as_array(delta, "delta")
    if delta.ndim < 2:
        raise ValueError(f"delta must have at least 2 dimensions, got shape {delta.shape}")
    sh, sw = check_stride(stride)
    OH, OW = delta.shape[-2:]
    smallest = ((OH - 1) * sh + 1, (OW - 1) * sw + 1)
    if size is None:
        size = smallest
    size = pair(size, "size")
    for axis, n, lo, s, o in (("rows", size[0], smallest[0], sh, OH), ("cols", size[1], smallest[1], sw, OW)):
        if not lo <= n <= lo + s - 1:
            raise ValueError(
                f"a stride-{s} map with {o} {axis} expands to between {lo} and {lo + s - 1} "
                f"{axis}, not {n}"
            )
    out = np.zeros(delta.shape[:-2] + tuple(size))
    out[..., ::sh, ::sw] = delta
    return out


def dilate2d(a, dilation):
    """Spread the last two axes of ``a`` apart: R − 1 zeros between neighbouring entries.

    ``out[..., m·Rh, n·Rw] = a[..., m, n]``, every other cell 0, shape
    ``(..., (KH − 1)·Rh + 1, (KW − 1)·Rw + 1)``. A kernel of dilation R is the dilated
    kernel ``dilate2d(w, R)`` used as an ordinary one; and the zero-filled δ of a
    stride-S layer is ``dilate2d(δ, S)`` — ``expand_sensitivity(δ, S)`` is exactly that,
    with the extra zero rows at the end that ``(L − K + 2P) mod S`` may call for.
    """
    a = as_array(a, "a")
    if a.ndim < 2:
        raise ValueError(f"dilate2d needs an array with at least 2 dimensions, got shape {a.shape}")
    rh, rw = check_dilation(dilation)
    KH, KW = a.shape[-2:]
    shape = a.shape[:-2] + (max(0, (KH - 1) * rh + 1), max(0, (KW - 1) * rw + 1))
    check_size(shape, "a dilated array", f"dilation {show_pair((rh, rw))}")
    out = np.zeros(shape)
    out[..., ::rh, ::rw] = a
    return out


def conv_matrix(k, input_shape, stride=1, padding=0, dilation=1):
    """The matrix M with ``M @ x.ravel() == conv2d(x, k, stride, padding, dilation).ravel()``.

    Seed 004's view of a convolution as a fully connected layer: output cell
    ``o = u·OW + v`` is joined to input pixel ``(i, j) = (u·S + m·R − P, v·S + n·R − P)`` by the
    weight ``k[m, n]``, for every kernel tap ``(m, n)`` whose pixel lies inside the image
    (padding pixels are zeros and contribute nothing). ``M`` has ``OH·OW`` rows and
    ``H·W`` columns; most entries are 0 (local receptive fields) and the non-zeros of
    every row are the same KH·KW weights (weight sharing). ``k`` is a 2-D kernel,
    ``input_shape`` is ``(H, W)``.
    """
    k = as_array(k, "kernel", ndim=2, what="(KH, KW)")
    H, W = pair(input_shape, "input_shape")
    if H < 1 or W < 1:
        raise ValueError(f"input_shape must be positive, got {(H, W)}")
    (sh, sw), (ph, pw), (rh, rw) = check_stride(stride), check_padding(padding), check_dilation(dilation)
    OH, OW = output_shape((H, W), k.shape, (sh, sw), (ph, pw), (rh, rw))
    check_size((OH * OW, H * W), "a matrix", f"input_shape {(H, W)} with padding {show_pair((ph, pw))}")
    M = np.zeros((OH * OW, H * W))
    for u in range(OH):
        for v in range(OW):
            for m in range(k.shape[0]):
                for n in range(k.shape[1]):
                    i, j = u * sh + m * rh - ph, v * sw + n * rw - pw
                    if 0 <= i < H and 0 <= j < W:
                        M[u * OW + v, i * W + j] += k[m, n]
    return M
