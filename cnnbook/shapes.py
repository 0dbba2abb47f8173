"""Output sizes and the argument checks every cnnbook module shares.

All error messages of the package are written here, so that a student who passes
a wrong shape gets the same clear sentence from the readable reference code and
from the fast code: a ``ValueError`` that names the offending numbers.

The formulas of this module, along one axis (seed 004, with PyTorch's floor), for an
input of side L, a kernel (or pooling window) of side K, stride S, padding P and
dilation R (R − 1 zeros between the kernel's taps, so it spans R(K − 1) + 1 cells)::

    convolution, pooling      O = floor((L + 2P − R(K − 1) − 1) / S) + 1
                              (R = 1: O = floor((L − K + 2P) / S) + 1)
    transposed convolution    O = (L − 1)·S − 2P + R(K − 1) + output_padding + 1
                              with 0 ≤ output_padding < S or < R (PyTorch's rule)
"""
from __future__ import annotations

import math
import numbers
import os

import numpy as np

__all__ = [
    "output_size", "output_shape", "transposed_output_size", "transposed_output_shape", "pair", "as_array", "check_int", "check_pair", "check_stride",
    "check_padding", "check_kernel", "check_dilation", "check_output_padding", "show_pair",
    "check_size", "check_conv", "check_conv_transpose", "check_pool",
    "check_dout", "check_x_shape", "check_im2col", "check_col2im", "padded",
]

_AXES = ("height", "width")


def _as_int(value, name):
    """Return ``value`` as a Python int, or raise a ValueError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def pair(value, name="value"):
    """Turn an int or an ``(h, w)`` pair into a tuple of two ints.

    ``pair(3) == (3, 3)`` and ``pair((2, 1)) == (2, 1)``; anything else (a float,
    a string, a triple) raises ``ValueError`` naming ``name``.
    """
    if isinstance(value, (tuple, list, np.ndarray)):
        items = list(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else list(value)
        if len(items) != 2:
            raise ValueError(
                f"{name} must be an int or an (h, w) pair, got {value!r} with {len(items)} entries"
            )
        return (_as_int(items[0], name), _as_int(items[1], name))
    try:
        v = _as_int(value, name)
    except ValueError:
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}") from None
    return (v, v)


def _rule(lowest):
    return "must not be negative" if lowest == 0 else f"must be at least {lowest}"


def check_int(value, name, lowest):
    """``value`` as an int of at least ``lowest`` (1 for sizes and strides, 0 for padding)."""
    v = _as_int(value, name)
    if v < lowest:
        raise ValueError(f"{name} {_rule(lowest)}, got {v}")
    return v


def check_pair(value, name, lowest):
    """``pair(value)``, with both entries at least ``lowest``."""
    v = pair(value, name)
    if min(v) < lowest:
        raise ValueError(f"{name} {_rule(lowest)}, got {show_pair(v)}")
    return v


def check_stride(stride):
    """``stride`` as an ``(h, w)`` pair of ints ≥ 1."""
    return check_pair(stride, "stride", 1)


def check_padding(padding):
    """``padding`` as an ``(h, w)`` pair of ints ≥ 0."""
    return check_pair(padding, "padding", 0)


def check_kernel(kernel_size):
    """``kernel_size`` as an ``(h, w)`` pair of ints ≥ 1."""
    return check_pair(kernel_size, "kernel_size", 1)


def check_dilation(dilation):
    """``dilation`` as an ``(h, w)`` pair of ints ≥ 1 (1: taps side by side)."""
    return check_pair(dilation, "dilation", 1)


def show_pair(p):
    """``(2, 2)`` prints as ``2``, ``(2, 1)`` as ``(2, 1)``."""
    return str(p[0]) if p[0] == p[1] else str(tuple(p))


def _fit_1d(n, k, s, p, axis=None, d=1):
    """Output length along one axis, after checking the (dilated) window fits."""
    span = d * (k - 1) + 1
    if n + 2 * p < span:
        where = "" if axis is None else f"{axis} "
        if d == 1:
            raise ValueError(
                f"kernel {where}{k} does not fit input {where}{n} + 2·{p} padding "
                f"(padded input {n + 2 * p} < kernel {k})"
            )
        raise ValueError(
            f"kernel {where}{k} with dilation {d} spans {d}·({k} − 1) + 1 = {span} cells and "
            f"does not fit input {where}{n} + 2·{p} padding (padded input {n + 2 * p} < {span})"
        )
    return (n + 2 * p - span) // s + 1


def output_size(n, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a convolution or pooling output: ``O = floor((L + 2P − R(K − 1) − 1) / S) + 1``.

    ``n`` is the input side L, ``kernel_size`` K, ``stride`` S, ``padding`` P and
    ``dilation`` R (all ints); with R = 1 this is ``floor((L − K + 2P) / S) + 1``.
    Windows that would run past the padded input are dropped (PyTorch's floor rule),
    so ``output_size(6, 3, stride=2) == 2``, not 2.5.

    >>> output_size(5, 3, stride=2, padding=1)
    3
    >>> output_size(7, 3, dilation=2)          # the kernel spans 2·(3 − 1) + 1 = 5 cells
    3
    """
    n = check_int(n, "input size n", 1)
    k = check_int(kernel_size, "kernel_size", 1)
    s = check_int(stride, "stride", 1)
    p = check_int(padding, "padding", 0)
    d = check_int(dilation, "dilation", 1)
    return _fit_1d(n, k, s, p, d=d)


def output_shape(hw, kernel_size, stride=1, padding=0, dilation=1):
    """``(OH, OW)`` for an input of spatial size ``hw = (H, W)``; checks the window fits."""
    k, s, p = check_kernel(kernel_size), check_stride(stride), check_padding(padding)
    d = check_dilation(dilation)
    return tuple(_fit_1d(hw[a], k[a], s[a], p[a], _AXES[a], d[a]) for a in range(2))


def check_output_padding(output_padding, stride, dilation):
    """``output_padding`` as a pair, each entry ≥ 0 and smaller than the stride or the
    dilation along its axis (PyTorch's rule: larger values would add rows that no
    input cell reaches and that the adjoint convolution could not have read)."""
    op = check_pair(output_padding, "output_padding", 0)
    for a in range(2):
        if op[a] >= stride[a] and op[a] >= dilation[a]:
            along = "" if op[0] == op[1] and stride[0] == stride[1] and dilation[0] == dilation[1] \
                else f" along the {_AXES[a]}"
            raise ValueError(
                f"output_padding {op[a]} must be smaller than the stride {stride[a]} or the "
                f"dilation {dilation[a]}{along}"
            )
    return op


def _transposed_1d(n, k, s, p, op, d, axis=None):
    """Output side of a transposed convolution along one axis; at least 1."""
    out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        where = "" if axis is None else f" {axis}"
        raise ValueError(
            f"transposed convolution output{where} (L − 1)·S − 2P + R(K − 1) + output_padding + 1 = "
            f"({n} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1 = {out} is not positive: "
            f"padding {p} is too large"
        )
    return out


def transposed_output_size(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Side of a transposed convolution's output (PyTorch's ``conv_transpose2d``)::

        O = (L − 1)·S − 2P + R(K − 1) + output_padding + 1

    for an input of side L (``n``), kernel K, stride S, padding P and dilation R; every
    input cell paints a kernel-sized patch (spread R apart) whose corners step S
    apart, and P cells are cut from each end. ``output_padding`` (smaller than S or
    R) adds cells at the far end: a convolution of stride S maps the
    ``output_padding + 1`` sizes L′ with the same ``(L′ − R(K − 1) − 1 + 2P) mod S``
    to the same O, and output_padding says which of them to give back (chapter 5's
    remainder).

    >>> transposed_output_size(3, 3, stride=2, padding=1)       # 3 → 5, undoing output_size(5, 3, 2, 1)
    5
    >>> transposed_output_size(3, 3, stride=2, padding=1, output_padding=1)
    6
    """
    n = check_int(n, "input size n", 1)
    k = check_int(kernel_size, "kernel_size", 1)
    s = check_int(stride, "stride", 1)
    p = check_int(padding, "padding", 0)
    d = check_int(dilation, "dilation", 1)
    (op, _) = check_output_padding(output_padding, (s, s), (d, d))
    return _transposed_1d(n, k, s, p, op, d)


def transposed_output_shape(hw, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """``(OH, OW)`` of a transposed convolution of an input of spatial size ``hw = (H, W)``."""
    k, s, p = check_kernel(kernel_size), check_stride(stride), check_padding(padding)
    d = check_dilation(dilation)
    op = check_output_padding(output_padding, s, d)
    return tuple(_transposed_1d(hw[a], k[a], s[a], p[a], op[a], d[a], _AXES[a]) for a in range(2))


#: Kinds of numpy arrays that hold real numbers: bool, signed and unsigned int, float.
_REAL_KINDS = "biuf"


def _first_non_number(a):
    """``(True, entry)`` for the first entry of the object array ``a`` that is not a
    real number, ``(False, None)`` when they all are."""
    for item in a.flat:
        if not isinstance(item, numbers.Real):
            return True, item
    return False, None


def _machine_memory():
    """Bytes of physical memory, or 64 GiB when the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 2**36


#: The largest array (in bytes) a cnnbook function agrees to allocate: the machine's
#: physical memory. Anything bigger would raise numpy's MemoryError or swap for minutes.
MAX_BYTES = _machine_memory()


def _bytes(n):
    """``3.2 GB``-style size of ``n`` bytes."""
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000


def check_size(shape, what, cause):
    """Raise a ``ValueError`` before allocating a float64 array of ``shape`` that does not
    fit in memory; ``what`` names the array, ``cause`` the argument that made it so big
    (``"padding 100000"``)."""
    need = math.prod(int(d) for d in shape) * 8
    if need > MAX_BYTES:
        raise ValueError(
            f"{cause} needs {what} of shape {tuple(int(d) for d in shape)}, {_bytes(need)} of "
            f"float64: more than this machine's {_bytes(MAX_BYTES)} of memory"
        )


def as_array(a, name, ndim=None, what=""):
    """``a`` as a new-or-shared float64 ndarray with ``ndim`` dimensions (never modified).

    ``what`` describes the axes for the error message, e.g. ``"(N, C, H, W)"``.
    Only real numbers are accepted (bool, int, float): complex numbers, strings
    (``'5'`` is not the number 5), ``None`` and other objects raise a ``ValueError``
    naming ``name``; numpy would drop an imaginary part or turn ``None`` into NaN.
    """
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers: {err}") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(
            f"{name} must hold real numbers, got a complex array ({arr.dtype}); "
            f"take its .real or abs() first"
        )
    if kind == "O":
        found, bad = _first_non_number(arr)
        if found:
            raise ValueError(f"{name} must be an array of numbers, got {bad!r} among its entries")
    elif kind not in _REAL_KINDS:
        if kind in "US" and arr.size:
            raise ValueError(
                f"{name} must be an array of numbers, got strings such as "
                f"{arr.flat[0].item()!r} (strings are not numbers)"
            )
        raise ValueError(f"{name} must be an array of numbers, got an array of {arr.dtype}")
    if arr.dtype != np.float64:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError, OverflowError) as err:
            raise ValueError(f"{name} must be an array of numbers: {err}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D {what}".rstrip() + f", got shape {arr.shape} ({arr.ndim}-D)"
        )
    return arr


def _check_weights(x, w, what):
    """``x`` 4-D, ``w`` 4-D with at least one of everything (``what`` names its axes)."""
    x = as_array(x, "x", 4, "(N, C, H, W)")
    w = as_array(w, "w", 4, what)
    if min(w.shape) < 1:
        raise ValueError(f"w must have at least one filter, channel, row and column, got shape {w.shape}")
    return x, w


def _check_bias(b, n, what):
    if b is None:
        return np.zeros(n)
    b = as_array(b, "b")
    if b.shape != (n,):
        raise ValueError(f"b must have shape ({n},), {what}, got shape {b.shape}")
    return b


def check_conv(x, w, b=None, stride=1, padding=0, dilation=1):
    """Validate conv2d arguments; return ``x, w, b, stride, padding, dilation, (OH, OW)``.

    ``x``: (N, C, H, W); ``w``: (F, C, KH, KW); ``b``: (F,) or None (then zeros).
    """
    x, w = _check_weights(x, w, "(F, C, KH, KW)")
    F, C, KH, KW = w.shape
    if x.shape[1] != C:
        raise ValueError(
            f"x has {x.shape[1]} channels (x.shape = {x.shape}) but each filter has {C} "
            f"(w.shape = (F, C, KH, KW) = {w.shape})"
        )
    b = _check_bias(b, F, "one bias per filter")
    s, p, d = check_stride(stride), check_padding(padding), check_dilation(dilation)
    out_hw = output_shape(x.shape[2:], (KH, KW), s, p, d)
    cause = f"padding {show_pair(p)}" if any(p) else f"x of shape {x.shape} with w of shape {w.shape}"
    N, _, H, W = x.shape
    check_size((N, C, H + 2 * p[0], W + 2 * p[1]), "a padded input", cause)
    check_size((N, F) + out_hw, "an output", cause)
    return x, w, b, s, p, d, out_hw


def check_conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Validate conv_transpose2d arguments; return
    ``x, w, b, stride, padding, output_padding, dilation, (OH, OW)``.

    ``x``: (N, C_in, H, W); ``w``: (C_in, C_out, KH, KW), PyTorch's layout (the weight
    of the convolution from C_out to C_in channels whose adjoint this is); ``b``:
    (C_out,) or None (then zeros).
    """
    x, w = _check_weights(x, w, "(C_in, C_out, KH, KW)")
    C_in, C_out, KH, KW = w.shape
    if x.shape[1] != C_in:
        raise ValueError(
            f"x has {x.shape[1]} channels (x.shape = {x.shape}) but w has C_in = {C_in} "
            f"(w.shape = (C_in, C_out, KH, KW) = {w.shape})"
        )
    b = _check_bias(b, C_out, "one bias per output channel")
    s, p, d = check_stride(stride), check_padding(padding), check_dilation(dilation)
    op = check_output_padding(output_padding, s, d)
    out_hw = transposed_output_shape(x.shape[2:], (KH, KW), s, p, op, d)
    N, _, H, W = x.shape
    cause = f"stride {show_pair(s)}, dilation {show_pair(d)} and kernel {(KH, KW)} on x of shape {x.shape}"
    check_size((N, C_out) + tuple(o + 2 * q for o, q in zip(out_hw, p)), "an output (before the padding is cut)", cause)
    return x, w, b, s, p, op, d, out_hw


def check_pool(x, kernel_size, stride=None, padding=0):
    """Validate pooling arguments; return ``x, kernel, stride, padding, (OH, OW)``.

    ``stride=None`` means stride = kernel_size (non-overlapping windows), as in PyTorch.
    Padding may be at most half the window, as in PyTorch: a larger padding would let
    a window hold padding only.
    """
    x = as_array(x, "x", 4, "(N, C, H, W)")
    k = check_kernel(kernel_size)
    s = k if stride is None else check_stride(stride)
    p = check_padding(padding)
    for a in range(2):
        if 2 * p[a] > k[a]:
            raise ValueError(
                f"pool padding {p[a]} is more than half the window {k[a]} along the {_AXES[a]} "
                f"(at most {k[a] // 2})"
            )
    out_hw = output_shape(x.shape[2:], k, s, p)
    if any(p):
        N, C, H, W = x.shape
        check_size((N, C, H + 2 * p[0], W + 2 * p[1]), "a padded input", f"padding {show_pair(p)}")
    return x, k, s, p, out_hw


def check_dout(dout, expected_shape, what="forward output"):
    """``dout`` as float64, checked to have the shape of the forward output."""
    dout = as_array(dout, "dout")
    if dout.shape != tuple(expected_shape):
        raise ValueError(
            f"dout has shape {dout.shape} but the {what} has shape {tuple(expected_shape)}"
        )
    return dout


def check_x_shape(x_shape):
    """``x_shape`` as a tuple of four ints ≥ 0 (N, C, H, W), or a ValueError naming it."""
    if isinstance(x_shape, (str, bytes)) or not hasattr(x_shape, "__len__") or len(x_shape) != 4:
        raise ValueError(f"x_shape must be (N, C, H, W), four ints, got {x_shape!r}")
    dims = tuple(check_int(d, "x_shape entry", 0) for d in x_shape)
    check_size(dims, "an input", f"x_shape {dims}")
    return dims


def check_im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Validate im2col arguments; return ``x, kernel, stride, padding, dilation, (OH, OW)``."""
    x = as_array(x, "x", 4, "(N, C, H, W)")
    k, s, p = check_kernel(kernel_size), check_stride(stride), check_padding(padding)
    d = check_dilation(dilation)
    OH, OW = output_shape(x.shape[2:], k, s, p, d)
    N, C = x.shape[:2]
    check_size((C * k[0] * k[1], N * OH * OW), "columns",
               f"padding {show_pair(p)}" if any(p) else f"x of shape {x.shape}")
    return x, k, s, p, d, (OH, OW)


def check_col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Validate col2im arguments; return
    ``cols, x_shape, kernel, stride, padding, dilation, (OH, OW)``.

    ``cols`` must have the shape ``im2col`` gives for an input of shape ``x_shape``:
    (C·KH·KW, N·OH·OW).
    """
    x_shape = check_x_shape(x_shape)
    N, C, H, W = x_shape
    k, s, p = check_kernel(kernel_size), check_stride(stride), check_padding(padding)
    d = check_dilation(dilation)
    OH, OW = output_shape((H, W), k, s, p, d)
    cols = as_array(cols, "cols", 2, "(C·KH·KW, N·OH·OW)")
    expected = (C * k[0] * k[1], N * OH * OW)
    if cols.shape != expected:
        raise ValueError(
            f"cols has shape {cols.shape} but im2col of an input {x_shape} gives {expected}"
        )
    return cols, x_shape, k, s, p, d, (OH, OW)


def padded(x, padding, value=0.0):
    """``pad2d(x, padding, value)`` for (N, C, H, W), but ``x`` itself when there is no padding.

    The fast functions only read the padded input, so the copy can be skipped.
    ``padding`` is an already checked ``(ph, pw)`` pair.
    """
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    A, B, H, W = x.shape
    out = np.full((A, B, H + 2 * ph, W + 2 * pw), value)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


# The names these checks had when they were private; modules outside the engine still
# import them (layers, training, derivation, widgets). New code uses the names above.
_check_int, _check_pair, _check_stride = check_int, check_pair, check_stride
_check_padding, _check_kernel, _show = check_padding, check_kernel, show_pair
