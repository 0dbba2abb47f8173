"""Hypothesis strategies: random but always valid layer configurations."""
import numpy as np
from hypothesis import strategies as st


@st.composite
def conv_cases(draw, max_kernel=5, max_stride=3, max_padding=2, max_dilation=1):
    """A dict with x, w, b, dout, stride, padding, dilation for a conv layer that fits.

    ``max_dilation=1`` (the default) keeps dilation (1, 1), for the tests that call
    without it; the dilated kernel spans R(K − 1) + 1 cells.
    """
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    sh, sw = draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride))
    ph, pw = draw(st.integers(0, max_padding)), draw(st.integers(0, max_padding))
    rh, rw = draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation))
    sph, spw = rh * (kh - 1) + 1, rw * (kw - 1) + 1  # what a window spans
    # the padded input must hold the kernel; extra rows make L - K + 2P often not a multiple of S
    H = draw(st.integers(max(1, sph - 2 * ph), sph - 2 * ph + 7))
    W = draw(st.integers(max(1, spw - 2 * pw), spw - 2 * pw + 7))
    N, C, F = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    OH, OW = (H + 2 * ph - sph) // sh + 1, (W + 2 * pw - spw) // sw + 1
    return {
        "x": rng.normal(size=(N, C, H, W)), "w": rng.normal(size=(F, C, kh, kw)),
        "b": rng.normal(size=F), "dout": rng.normal(size=(N, F, OH, OW)),
        "stride": (sh, sw), "padding": (ph, pw), "dilation": (rh, rw),
    }


def _int_or_pair(draw, pair):
    """``pair`` as it is, or as one int when both entries are equal and the draw says so."""
    return pair[0] if pair[0] == pair[1] and draw(st.booleans()) else pair


@st.composite
def conv_transpose_cases(draw, max_kernel=4, max_stride=3, max_padding=2, max_dilation=3,
                         square=None):
    """A dict with x, w (C_in, C_out, KH, KW), b, dout, stride, padding, output_padding,
    dilation for a transposed convolution PyTorch accepts, and ``out_hw``.

    output_padding is drawn below max(stride, dilation) per axis; padding only as large
    as leaves an output of at least one cell. Arguments come as ints or (h, w) pairs.
    ``square=True`` draws the same settings along both axes (then ints are likely).
    """
    def axis():
        k = draw(st.integers(1, max_kernel))
        s = draw(st.integers(1, max_stride))
        r = draw(st.integers(1, max_dilation))
        op = draw(st.integers(0, max(s, r) - 1))
        n = draw(st.integers(1, 5))
        full = (n - 1) * s + r * (k - 1) + op + 1  # the output before P is cut from each end
        p = draw(st.integers(0, min(max_padding, (full - 1) // 2)))
        return n, k, s, p, op, r, full - 2 * p

    (H, kh, sh, ph, oph, rh, OH) = axis()
    if square is None:
        square = draw(st.booleans())
    (W, kw, sw, pw, opw, rw, OW) = (H, kh, sh, ph, oph, rh, OH) if square else axis()
    if square:
        W = draw(st.integers(H, H + 3))  # the map need not be square (W ≥ H keeps OW ≥ OH ≥ 1)
        OW = (W - 1) * sw - 2 * pw + rw * (kw - 1) + opw + 1
    N, C_in, C_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {
        "x": rng.normal(size=(N, C_in, H, W)), "w": rng.normal(size=(C_in, C_out, kh, kw)),
        "b": rng.normal(size=C_out), "dout": rng.normal(size=(N, C_out, OH, OW)),
        "stride": _int_or_pair(draw, (sh, sw)), "padding": _int_or_pair(draw, (ph, pw)),
        "output_padding": _int_or_pair(draw, (oph, opw)), "dilation": _int_or_pair(draw, (rh, rw)),
        "out_hw": (OH, OW),
    }


@st.composite
def pool_cases(draw, ties=False):
    """A dict with x, dout, kernel_size, stride (or None), padding for a pool that fits.

    ``ties=True`` fills x with a few small integers, so windows often hold equal maxima.
    Strides below the kernel give overlapping windows.
    """
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    sh, sw = (kh, kw) if stride is None else stride
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), kh - 2 * ph + 7))
    W = draw(st.integers(max(1, kw - 2 * pw), kw - 2 * pw + 7))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if ties:
        x = rng.integers(-2, 2, size=(N, C, H, W)).astype(np.float64)
    else:
        x = rng.normal(size=(N, C, H, W))
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    return {
        "x": x, "dout": rng.normal(size=(N, C, OH, OW)),
        "kernel_size": (kh, kw), "stride": stride, "padding": (ph, pw),
    }
